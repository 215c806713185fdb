"""Comparing numbers and ranges the way a reviewer does: within float noise, and by direction."""

from __future__ import annotations

import math

from orchestrator.transfer import units
from orchestrator.transfer.diff_report import Change, Criticality

Bounds = tuple[float | None, float | None]


def same(old: float | None, new: float | None) -> bool:
    """Equal, or both absent; unit conversion leaves ~1e-14 noise (98.6 [degF] is 37.00000000000003 Cel)."""
    if old is None or new is None:
        return old is new
    return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-9)


def _side(old: float | None, new: float | None, lower: bool) -> int:
    """+1 wider, -1 narrower, 0 same, for one bound (absent = unbounded)."""
    if same(old, new):
        return 0
    if new is None or old is None:
        return 1 if new is None else -1
    return 1 if (new < old) == lower else -1


def range_changes(path: str, old: Bounds, new: Bounds, level: Criticality, unit: str | None,
                  detail: str = "", prefix: str = "range") -> list[Change]:
    """One `<prefix>_widened|narrowed|shifted` change when the bounds differ, else none."""
    sides = {_side(old[0], new[0], lower=True), _side(old[1], new[1], lower=False)} - {0}
    if not sides:
        return []
    kind = "widened" if sides == {1} else "narrowed" if sides == {-1} else "shifted"
    return [Change(f"{prefix}_{kind}", path, list(old), list(new), level, unit, detail)]


def converted(value: float | None, from_unit: str | None, to_unit: str | None) -> float | None:
    """`value` in `to_unit`, tidied to 10 significant digits; unchanged when there is nothing to convert."""
    if value is None or from_unit is None or to_unit is None or from_unit == to_unit:
        return value
    return float(f"{units.convert(value, from_unit, to_unit):.10g}")
