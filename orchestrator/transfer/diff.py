"""Semantic diff of two process definitions, as a receiving site's QA assesses a new version.

Elements are matched by name (steps) or code (materials, specs, methods), not by position, and
values are compared after unit conversion: 37 Cel and 98.6 [degF] are the same set point, a range
going from 36.5..37.5 to 36..38 is a widening. Criticality follows ICH Q8/Q10: a change that touches
a CPP or CQA (parameters, steps holding them, BOM composition, release limits) is "major", and
needs change control at the receiving site; everything else is "minor".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from canonical_model.process_definition import ProcessDefinition
from canonical_model.recipe import Operation, Phase, ProcessParameter, UnitProcedure
from orchestrator.transfer import units
from orchestrator.transfer.diff_quality import quality_changes
from orchestrator.transfer.diff_report import Change, Criticality, DiffReport
from orchestrator.transfer.diff_values import converted, range_changes, same

T = TypeVar("T", UnitProcedure, Operation, Phase, ProcessParameter)
CRITICAL = frozenset({"CPP", "CQA"})
SEP = " > "


def _parameters(element: UnitProcedure | Operation | Phase | ProcessParameter) -> list[ProcessParameter]:
    if isinstance(element, ProcessParameter):
        return [element]
    if isinstance(element, Phase):
        return list(element.parameters)
    children = element.operations if isinstance(element, UnitProcedure) else element.phases
    return [p for child in children for p in _parameters(child)]


def _level(*elements: UnitProcedure | Operation | Phase | ProcessParameter) -> Criticality:
    critical = any(p.classification in CRITICAL for e in elements for p in _parameters(e))
    return "major" if critical else "minor"


def _describe(element: UnitProcedure | Operation | Phase | ProcessParameter) -> str:
    """A step by its name, a parameter by its values (what a reviewer needs to see of an added one)."""
    if not isinstance(element, ProcessParameter):
        return element.name
    parameter = element
    point = f"{parameter.set_point.value:g} " if parameter.set_point else ""
    bounds = "..".join("" if v is None else f"{v:g}" for v in (parameter.low, parameter.high))
    return f"{point}{parameter.unit} [{bounds}] {parameter.classification}"


def _match(old: Sequence[T], new: Sequence[T]) -> tuple[list[tuple[T, T]], list[T], list[T], list[tuple[T, T]]]:
    """(same name, removed, added, renamed): a removed and an added element with equal bodies are a rename."""
    new_names, old_names = {n.name for n in new}, {o.name for o in old}
    pairs = [(o, next(n for n in new if n.name == o.name)) for o in old if o.name in new_names]
    removed = [o for o in old if o.name not in new_names]
    added = [n for n in new if n.name not in old_names]
    renamed = []
    for gone in list(removed):
        twin = next((a for a in added if a.model_dump(exclude={"name"}) == gone.model_dump(exclude={"name"})), None)
        if twin is not None:
            renamed.append((gone, twin))
            removed.remove(gone)
            added.remove(twin)
    return pairs, removed, added, renamed


def _parameter_changes(path: str, old: ProcessParameter, new: ProcessParameter) -> list[Change]:
    level = _level(old, new)
    changes = []
    if old.classification != new.classification:
        changes.append(Change("classification_changed", path, old.classification, new.classification, level))
    if not units.comparable(old.unit, new.unit):
        return [*changes, Change("unit_changed", path, old.unit, new.unit, "major",
                                 detail="units measure different things: values cannot be compared")]
    note = f"previous values converted from {old.unit}" if old.unit != new.unit else ""

    def to_new(value: float | None) -> float | None:
        return converted(value, old.unit, new.unit)

    old_point = to_new(old.set_point.value if old.set_point else None)
    new_point = new.set_point.value if new.set_point else None
    if not same(old_point, new_point):
        changes.append(Change("set_point_changed", path, old_point, new_point, level, new.unit, note))
    changes += range_changes(path, (to_new(old.low), to_new(old.high)), (new.low, new.high), level, new.unit, note)
    return changes


def _children(element: UnitProcedure | Operation | Phase) -> tuple[Any, ...]:
    if isinstance(element, UnitProcedure):
        return element.operations
    return element.phases if isinstance(element, Operation) else element.parameters


def _element_changes(path: str, what: str, old: Sequence[T], new: Sequence[T]) -> list[Change]:
    pairs, removed, added, renamed = _match(old, new)
    changes = [Change(f"{what}_removed", path + SEP + o.name, _describe(o), None, _level(o)) for o in removed]
    changes += [Change(f"{what}_added", path + SEP + n.name, None, _describe(n), _level(n)) for n in added]
    changes += [Change(f"{what}_renamed", path + SEP + o.name, o.name, n.name) for o, n in renamed]
    for o, n in pairs:
        here = path + SEP + o.name
        if isinstance(o, ProcessParameter) and isinstance(n, ProcessParameter):
            changes += _parameter_changes(here, o, n)
            continue
        changes += _container_changes(here, o, n)
    return changes


def _container_changes(path: str, old: UnitProcedure | Operation | Phase,
                       new: UnitProcedure | Operation | Phase) -> list[Change]:
    changes = []
    if isinstance(old, UnitProcedure) and isinstance(new, UnitProcedure) and old.unit_class != new.unit_class:
        changes.append(Change("equipment_class_changed", path, old.unit_class, new.unit_class))
    if isinstance(old, Phase) and isinstance(new, Phase) and old.equipment_class != new.equipment_class:
        changes.append(Change("equipment_class_changed", path, old.equipment_class, new.equipment_class))
    child = {UnitProcedure: "operation", Operation: "phase", Phase: "parameter"}[type(old)]
    return changes + _element_changes(path, child, _children(old), _children(new))


def _header_changes(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    changes = []
    if old.product != new.product:
        changes.append(Change("product_changed", "product", old.product, new.product, "major"))
    if old.master_recipe.recipe_id != new.master_recipe.recipe_id:
        changes.append(Change("recipe_changed", "master_recipe.recipe_id", old.master_recipe.recipe_id,
                              new.master_recipe.recipe_id))
    return changes


def diff_definitions(previous: ProcessDefinition, current: ProcessDefinition) -> DiffReport:
    """What changed from `previous` to `current`, step by step and parameter by parameter."""
    changes = _header_changes(previous, current)
    changes += _element_changes("recipe", "unit_procedure", previous.master_recipe.unit_procedures,
                                current.master_recipe.unit_procedures)
    changes += quality_changes(previous, current)
    return DiffReport(f"{previous.definition_id} v{previous.version}", f"{current.definition_id} v{current.version}",
                      tuple(changes))
