"""The plant as DeltaV is configured for it: ISA-88 equipment, control loops and unit phases.

Everything is derived from simulators.reference, so tags and ids agree with the other systems
(the MES master recipe names the same phases, the historian the same tags).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.reference import EQUIPMENT, MASTER_RECIPE, PROCESS_VALUES


@dataclass(frozen=True)
class Loop:
    """One control module (e.g. TIC-101) of a unit, as `BR-101/TIC-101/PV` names it."""

    unit: str
    name: str  # Temperature, pH, ...
    tag: str  # BR-101/TIC-101/PV
    ucum: str
    sp: float
    lo: float
    hi: float
    noise: float

    @property
    def module(self) -> str:
        """`BR-101/TIC-101`: the module path the PV, SP and limits hang under."""
        return self.tag.rsplit("/", 1)[0]

    @property
    def module_tag(self) -> str:
        return self.module.rsplit("/", 1)[1]

    @property
    def sp_tag(self) -> str:
        return f"{self.module}/SP"

    @property
    def hysteresis(self) -> float:
        """ALARM_HYS: an active limit alarm clears only this far inside the limit, so noise does not chatter."""
        return round(0.05 * (self.hi - self.lo), 6)


@dataclass(frozen=True)
class PhaseDef:
    """A recipe phase a unit can run (ISA-88 procedural element bound to the unit)."""

    id: str
    name: str
    unit_procedure: str


EQUIPMENT_BY_ID = {e["id"]: e for e in EQUIPMENT}
AREAS = [e for e in EQUIPMENT if e["level"] == "area"]
UNITS = [e["id"] for e in EQUIPMENT if e["level"] == "unit"]


def children(parent: str, level: str) -> list[dict[str, object]]:
    return [e for e in EQUIPMENT if e["parent"] == parent and e["level"] == level]


LOOPS: dict[str, list[Loop]] = {
    unit: [Loop(unit, pv["name"], pv["tag"], pv["unit"], float(pv["sp"]), float(pv["lo"]), float(pv["hi"]),
                float(pv["noise"])) for pv in PROCESS_VALUES.get(unit, [])]
    for unit in UNITS
}
LOOPS_BY_TAG = {loop.tag: loop for loops in LOOPS.values() for loop in loops}
LOOPS_BY_SP_TAG = {loop.sp_tag: loop for loop in LOOPS_BY_TAG.values()}

PHASES: dict[str, list[PhaseDef]] = {
    unit: [PhaseDef(ph["id"], ph["name"], up["id"]) for up in MASTER_RECIPE["unit_procedures"] if up["unit"] == unit
           for ph in up["phases"]]
    for unit in UNITS
}


def unit_of(unit: str) -> str:
    """The unit id, or KeyError naming the known units (actions answer 422 with it)."""
    if unit not in LOOPS:
        raise KeyError(f"unknown unit {unit!r}; DeltaV has {', '.join(UNITS)}")
    return unit


def loop_by_name(unit: str, name: str) -> Loop:
    for loop in LOOPS[unit_of(unit)]:
        if name in (loop.name, loop.tag, loop.module_tag):
            return loop
    known = ", ".join(loop.name for loop in LOOPS[unit])
    raise KeyError(f"{unit} has no process value {name!r}; it has {known or 'none'}")


def phase_def(unit: str, phase_id: str | None) -> PhaseDef:
    """The named phase of the unit, or its first recipe phase when none is named."""
    phases = PHASES[unit_of(unit)]
    if not phase_id:
        return phases[0]
    for phase in phases:
        if phase.id == phase_id:
            return phase
    raise ValueError(f"{unit} runs no phase {phase_id!r}; its phases are {', '.join(p.id for p in phases)}")
