"""A receiving site's own codes for the sponsor's equipment classes and material numbers.

The sponsor's codes mean nothing to a CDMO's ERP, MES and DeltaV, so every code in a package must be
mapped before provisioning: an unmapped code is a problem naming its field, never passed through,
and two sponsor materials landing on one site material are refused (the BOM would merge them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from canonical_model.base import Identifier
from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.library_schema import LibraryFile
from orchestrator.transfer.package import TransferPackage
from orchestrator.transfer.problems import Problem, ProblemsError


class SiteMap(LibraryFile):
    """Sponsor code -> site code, for equipment classes and materials."""

    kind: Literal["site_map"]
    site: Identifier = Field(description="The receiving site, e.g. CAM")
    equipment_classes: dict[str, Identifier] = Field(default_factory=dict)
    units: dict[str, Identifier] = Field(default_factory=dict, description="Site class -> the unit it runs on")
    materials: dict[Identifier, Identifier] = Field(default_factory=dict)


def _codes(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, kind, code) of every sponsor code in a dumped ProcessDefinition."""
    found = [(f"equipment_classes[{i}]", "equipment", c) for i, c in enumerate(doc["equipment_classes"])]
    for i, up in enumerate(doc["master_recipe"]["unit_procedures"]):
        found.append((f"master_recipe.unit_procedures[{i}].unit_class", "equipment", up["unit_class"]))
        for j, op in enumerate(up["operations"]):
            found += [(f"master_recipe.unit_procedures[{i}].operations[{j}].phases[{k}].equipment_class",
                       "equipment", phase["equipment_class"])
                      for k, phase in enumerate(op["phases"]) if phase["equipment_class"] is not None]
    for field in ("materials", "bom"):
        found += [(f"{field}[{i}].material_id", "material", item["material_id"]) for i, item in enumerate(doc[field])]
    found += [(f"specifications[{i}].material_id", "material", spec["material_id"])
              for i, spec in enumerate(doc["specifications"]) if spec["material_id"] is not None]
    return found


def mapping_problems(definition: ProcessDefinition, site_map: SiteMap) -> list[Problem]:
    """Every code the site map lacks, and every site material two sponsor materials map to."""
    tables = {"equipment": site_map.equipment_classes, "material": site_map.materials}
    problems = [Problem("unmapped", path, f"{kind} code {code!r} has no entry in site map {site_map.id!r} "
                        f"({'equipment_classes' if kind == 'equipment' else 'materials'})")
                for path, kind, code in _codes(definition.model_dump(mode="json")) if code not in tables[kind]]
    targets: dict[str, str] = {}
    for i, material in enumerate(definition.materials):
        target = site_map.materials.get(material.material_id)
        if target is not None and targets.setdefault(target, material.material_id) != material.material_id:
            problems.append(Problem("inconsistent", f"materials[{i}].material_id",
                                    f"{material.material_id!r} and {targets[target]!r} both map to {target!r}"))
    if site_map.units:  # a site that names its units must have one for every class the recipe needs
        for path, kind, code in _codes(definition.model_dump(mode="json")):
            target = site_map.equipment_classes.get(code) if kind == "equipment" else None
            if target is not None and target not in site_map.units:
                problems.append(Problem("unmapped", path, f"no unit of site {site_map.site} runs class {target!r} "
                                                          f"(site map {site_map.id!r}, units)"))
    return problems


def equipment_binding(definition: ProcessDefinition, site_map: SiteMap) -> dict[str, str]:
    """This site's class -> unit, for the classes a (mapped) definition uses."""
    used = {up.unit_class for up in definition.master_recipe.unit_procedures} | {
        phase.equipment_class for up in definition.master_recipe.unit_procedures for op in up.operations
        for phase in op.phases if phase.equipment_class}
    return {cls: site_map.units[cls] for cls in sorted(used) if cls in site_map.units}


def apply_site_map(source: ProcessDefinition | TransferPackage, site_map: SiteMap) -> ProcessDefinition:
    """The site's own draft definition (no content hash: the site approves and hashes its own)."""
    definition = source.definition if isinstance(source, TransferPackage) else source
    if problems := mapping_problems(definition, site_map):
        raise ProblemsError(problems)
    doc = definition.model_dump(mode="json")
    equipment, materials = site_map.equipment_classes, site_map.materials
    doc["equipment_classes"] = list(dict.fromkeys(equipment[c] for c in doc["equipment_classes"]))
    for up in doc["master_recipe"]["unit_procedures"]:
        up["unit_class"] = equipment[up["unit_class"]]
        for phase in (phase for op in up["operations"] for phase in op["phases"]):
            if phase["equipment_class"] is not None:
                phase["equipment_class"] = equipment[phase["equipment_class"]]
    for item in [*doc["materials"], *doc["bom"]]:
        item["material_id"] = materials[item["material_id"]]
    for spec in doc["specifications"]:
        if spec["material_id"] is not None:
            spec["material_id"] = materials[spec["material_id"]]
    return ProcessDefinition.model_validate({**doc, "status": "draft", "content_hash": None})
