"""Diff of what surrounds the recipe: materials, BOM, equipment, specifications, methods, sampling.

BOM composition and specification limits are "major" (they define what goes into the product and
what it must meet at release); material master data, methods and the sampling plan are "minor".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from canonical_model.base import Quantity
from canonical_model.process_definition import ProcessDefinition
from canonical_model.specification import Specification, SpecLimit
from orchestrator.transfer import units
from orchestrator.transfer.diff_report import Change, Criticality
from orchestrator.transfer.diff_values import converted, range_changes, same

T = TypeVar("T")


def _keyed(old: Sequence[T], new: Sequence[T], key: Callable[[T], str]) -> tuple[
        list[tuple[str, T, T]], list[tuple[str, T]], list[tuple[str, T]]]:
    """(in both, removed, added), in the order of the new then old sequence."""
    old_by, new_by = {key(o): o for o in old}, {key(n): n for n in new}
    both = [(k, old_by[k], n) for k, n in new_by.items() if k in old_by]
    return both, [(k, o) for k, o in old_by.items() if k not in new_by], [(k, n) for k, n in new_by.items()
                                                                          if k not in old_by]


def _membership(path: str, what: str, old: Sequence[T], new: Sequence[T], key: Callable[[T], str],
                level: Criticality) -> list[Change]:
    _, removed, added = _keyed(old, new, key)
    return ([Change(f"{what}_removed", f"{path}[{k}]", k, None, level) for k, _ in removed]
            + [Change(f"{what}_added", f"{path}[{k}]", None, k, level) for k, _ in added])


def _fields(path: str, what: str, old: Any, new: Any, names: Sequence[str], level: Criticality) -> list[Change]:
    return [Change(f"{what}_changed", f"{path}.{name}", _plain(getattr(old, name)), _plain(getattr(new, name)), level)
            for name in names if getattr(old, name) != getattr(new, name)]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _quantity(path: str, kind: str, old: Quantity | None, new: Quantity | None, level: Criticality) -> list[Change]:
    if old is None or new is None:
        present = new or old
        if present is None:
            return []
        return [Change(kind, path, old.value if old else None, new.value if new else None, level, present.unit)]
    if not units.comparable(old.unit, new.unit):
        return [Change(kind, path, f"{old.value:g} {old.unit}", f"{new.value:g} {new.unit}", "major",
                       detail="units measure different things")]
    previous = converted(old.value, old.unit, new.unit)
    return [] if same(previous, new.value) else [Change(kind, path, previous, new.value, level, new.unit)]


def _materials(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    changes = _membership("materials", "material", old.materials, new.materials, lambda m: m.material_id, "minor")
    for key, o, n in _keyed(old.materials, new.materials, lambda m: m.material_id)[0]:
        changes += _fields(f"materials[{key}]", "material", o, n, ("name", "material_class", "unit"), "minor")
    changes += _membership("bom", "bom_line", old.bom, new.bom, lambda line: line.material_id, "major")
    for key, old_line, new_line in _keyed(old.bom, new.bom, lambda line: line.material_id)[0]:
        changes += _quantity(f"bom[{key}].quantity", "bom_quantity_changed", old_line.quantity, new_line.quantity,
                             "major")
        changes += _fields(f"bom[{key}]", "bom_line", old_line, new_line, ("scalable",), "major")
    changes += _membership("equipment_classes", "equipment_class", old.equipment_classes, new.equipment_classes,
                           str, "minor")
    return changes


def _limit(path: str, old: SpecLimit, new: SpecLimit) -> list[Change]:
    changes = _fields(path, "limit", old, new, ("text_criterion",), "major")
    if old.unit is not None and new.unit is not None and not units.comparable(old.unit, new.unit):
        return [*changes, Change("limit_unit_changed", path, old.unit, new.unit, "major",
                                 detail="units measure different things: limits cannot be compared")]
    bounds = (converted(old.low, old.unit, new.unit), converted(old.high, old.unit, new.unit))
    return changes + range_changes(path, bounds, (new.low, new.high), "major", new.unit or old.unit, prefix="limit")


def _specifications(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    def spec_id(spec: Specification) -> str:
        return spec.spec_id

    changes = _membership("specifications", "specification", old.specifications, new.specifications, spec_id,
                          "major")
    for key, o, n in _keyed(old.specifications, new.specifications, spec_id)[0]:
        path = f"specifications[{key}]"
        changes += _fields(path, "specification", o, n, ("product", "material_id"), "major")
        changes += _fields(path, "specification", o, n, ("version",), "minor")
        changes += _membership(f"{path}.limits", "limit", o.limits, n.limits, lambda lim: lim.analyte, "major")
        for analyte, old_limit, new_limit in _keyed(o.limits, n.limits, lambda lim: lim.analyte)[0]:
            changes += _limit(f"{path}.limits[{analyte}]", old_limit, new_limit)
    return changes


def _methods_and_sampling(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    changes = _membership("analytical_methods", "method", old.analytical_methods, new.analytical_methods,
                          lambda m: m.method_id, "minor")
    for key, o, n in _keyed(old.analytical_methods, new.analytical_methods, lambda m: m.method_id)[0]:
        changes += _fields(f"analytical_methods[{key}]", "method", o, n, ("version", "name", "analytes"), "minor")

    def point(p: Any) -> str:
        return f"{p.step}/{p.sample_type}"

    changes += _membership("sampling_plan", "sampling_point", old.sampling_plan, new.sampling_plan, point, "minor")
    for key, old_point, new_point in _keyed(old.sampling_plan, new.sampling_plan, point)[0]:
        changes += _fields(f"sampling_plan[{key}]", "sampling_point", old_point, new_point, ("tests",), "minor")
        changes += _quantity(f"sampling_plan[{key}].volume", "sampling_volume_changed", old_point.volume,
                             new_point.volume, "minor")
    return changes


def quality_changes(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    return _materials(old, new) + _specifications(old, new) + _methods_and_sampling(old, new)
