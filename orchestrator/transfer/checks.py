"""Cross-references a ProcessDefinition's schema cannot express, checked for library and package alike.

The diff and the site map match elements by name and code, so duplicates would make them ambiguous;
a sampling point or limit naming a test no method reports could not be provisioned in the LIMS.
"""

from __future__ import annotations

from collections.abc import Iterable

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer import units
from orchestrator.transfer.problems import Problem, walk_units


def _duplicates(path: str, what: str, names: Iterable[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for name in names:
        if name in seen:
            problems.append(Problem("inconsistent", path, f"{what} {name!r} appears more than once"))
        seen.add(name)
    return problems


def _recipe_problems(definition: ProcessDefinition, prefix: str) -> list[Problem]:
    known = set(definition.equipment_classes)
    problems = _duplicates(f"{prefix}master_recipe.unit_procedures", "unit procedure",
                           (up.name for up in definition.master_recipe.unit_procedures))
    for i, up in enumerate(definition.master_recipe.unit_procedures):
        up_path = f"{prefix}master_recipe.unit_procedures[{i}]"
        problems += _duplicates(f"{up_path}.operations", "operation", (op.name for op in up.operations))
        classes = [(f"{up_path}.unit_class", up.unit_class)]
        for j, op in enumerate(up.operations):
            problems += _duplicates(f"{up_path}.operations[{j}].phases", "phase", (ph.name for ph in op.phases))
            for k, phase in enumerate(op.phases):
                phase_path = f"{up_path}.operations[{j}].phases[{k}]"
                problems += _duplicates(f"{phase_path}.parameters", "parameter", (p.name for p in phase.parameters))
                if phase.equipment_class is not None:
                    classes.append((f"{phase_path}.equipment_class", phase.equipment_class))
        problems += [Problem("inconsistent", path, f"equipment class {name!r} is not in equipment_classes")
                     for path, name in classes if known and name not in known]
    return problems


def _quality_problems(definition: ProcessDefinition, prefix: str) -> list[Problem]:
    reported = {analyte for method in definition.analytical_methods for analyte in method.analytes}
    materials = {m.material_id for m in definition.materials}
    steps = {op.name for up in definition.master_recipe.unit_procedures for op in up.operations}
    steps |= {ph.name for up in definition.master_recipe.unit_procedures for op in up.operations for ph in op.phases}
    problems: list[Problem] = []
    for i, spec in enumerate(definition.specifications):
        if spec.material_id is not None and materials and spec.material_id not in materials:
            problems.append(Problem("inconsistent", f"{prefix}specifications[{i}].material_id",
                                    f"material {spec.material_id!r} is not in materials"))
        problems += [Problem("inconsistent", f"{prefix}specifications[{i}].limits[{j}].analyte",
                             f"no analytical method reports {limit.analyte!r}")
                     for j, limit in enumerate(spec.limits) if reported and limit.analyte not in reported]
    for i, point in enumerate(definition.sampling_plan):
        if point.step not in steps:
            problems.append(Problem("inconsistent", f"{prefix}sampling_plan[{i}].step",
                                    f"no operation or phase is named {point.step!r}"))
        problems += [Problem("inconsistent", f"{prefix}sampling_plan[{i}].tests",
                             f"no analytical method reports {test!r}")
                     for test in point.tests if reported and test not in reported]
    return problems


def unit_problems(document: object, prefix: str = "") -> list[Problem]:
    """An `unknown_unit` problem for every unit code the converter cannot read."""
    problems = []
    for path, code in walk_units(document, prefix.rstrip(".")):
        try:
            units.parse(code)
        except units.UnknownUnitError as error:
            problems.append(Problem("unknown_unit", path, str(error)))
    return problems


def consistency_problems(definition: ProcessDefinition, prefix: str = "") -> list[Problem]:
    """Duplicates, dangling references and unknown units; `prefix` (e.g. 'definition.') starts each path."""
    problems = _recipe_problems(definition, prefix) + _quality_problems(definition, prefix)
    problems += _duplicates(f"{prefix}materials", "material", (m.material_id for m in definition.materials))
    problems += _duplicates(f"{prefix}analytical_methods", "method",
                            (m.method_id for m in definition.analytical_methods))
    problems += _duplicates(f"{prefix}specifications", "specification",
                            (s.spec_id for s in definition.specifications))
    return problems + unit_problems(definition.model_dump(mode="json"), prefix)
