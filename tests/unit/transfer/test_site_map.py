"""Site maps: the sponsor's codes become the CDMO's own, and nothing unmapped slips through."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.checks import consistency_problems
from orchestrator.transfer.library import load_site_map
from orchestrator.transfer.package import TransferPackage
from orchestrator.transfer.problems import ProblemsError
from orchestrator.transfer.site_map import SiteMap, apply_site_map, mapping_problems
from orchestrator.transfer.verify import verify
from simulators import reference

pytestmark = pytest.mark.unit


def _without(site_map: SiteMap, **removed: str) -> SiteMap:
    document: dict[str, Any] = site_map.model_dump()
    for table, code in removed.items():
        del document[table][code]
    return SiteMap.model_validate(document)


def test_the_example_site_map_yields_the_bundled_plants_codes(package: TransferPackage) -> None:
    mapped = apply_site_map(package, load_site_map("cdmo-example"))
    plant_classes = {unit["class"] for unit in reference.EQUIPMENT}
    plant_materials = {material["id"] for material in reference.MATERIALS}
    assert set(mapped.equipment_classes) <= plant_classes
    assert {up.unit_class for up in mapped.master_recipe.unit_procedures} <= plant_classes
    assert {m.material_id for m in mapped.materials} == plant_materials
    assert [line.material_id for line in mapped.bom] == [line["material"] for line in reference.BOM]
    assert next(s for s in mapped.specifications if s.spec_id == "SPEC-CART19-APH").material_id == "MAT-APH"
    # the site's own draft: it approves and hashes it itself
    assert (mapped.status, mapped.content_hash) == ("draft", None)


def test_the_mapped_definition_is_still_consistent(definition: ProcessDefinition) -> None:
    assert consistency_problems(apply_site_map(definition, load_site_map("cdmo-example"))) == []


def test_an_unmapped_material_is_reported_everywhere_it_is_used(definition: ProcessDefinition) -> None:
    site_map = _without(load_site_map("cdmo-example"), materials="SM-100001")
    with pytest.raises(ProblemsError) as info:
        apply_site_map(definition, site_map)
    assert [(p.kind, p.path) for p in info.value.problems] == [
        ("unmapped", "materials[0].material_id"), ("unmapped", "bom[0].material_id"),
        ("unmapped", "specifications[1].material_id")]
    assert info.value.problems[0].reason == (
        "material code 'SM-100001' has no entry in site map 'cdmo-example' (materials)")


def test_an_unmapped_equipment_class_is_reported_with_its_steps(definition: ProcessDefinition) -> None:
    site_map = _without(load_site_map("cdmo-example"), equipment_classes="counterflow_centrifuge")
    assert [p.path for p in mapping_problems(definition, site_map)] == [
        "equipment_classes[3]", "master_recipe.unit_procedures[5].unit_class",
        "master_recipe.unit_procedures[5].operations[0].phases[0].equipment_class"]


def test_two_sponsor_materials_on_one_site_material_are_refused(definition: ProcessDefinition) -> None:
    document = load_site_map("cdmo-example").model_dump()
    document["materials"]["RM-100220"] = "MAT-BEAD"
    [problem] = mapping_problems(definition, SiteMap.model_validate(document))
    assert (problem.path, problem.reason) == ("materials[2].material_id",
                                              "'RM-100220' and 'RM-100210' both map to 'MAT-BEAD'")


def test_mapping_does_not_touch_the_verified_package(package: TransferPackage, sponsor_key: Ed25519PrivateKey) -> None:
    apply_site_map(package, load_site_map("cdmo-example"))
    assert verify(package, sponsor_key.public_key()) == []
    assert package.definition.materials[0].material_id == "SM-100001"
