"""What DeltaV keeps across a restart: set points, phase states with their batch, and alarm states.

Process values are not persisted: after a controller restart they start again at the set point,
as a real loop re-initialises. The audit trail lives in the shared NativeAuditTrail file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulators.common.state import JsonState
from simulators.deltav.plant import LOOPS_BY_TAG, UNITS


def seed() -> dict[str, Any]:
    return {
        "setpoints": {loop.sp_tag: loop.sp for loop in LOOPS_BY_TAG.values()},
        "alarms": {tag: "NORMAL" for tag in LOOPS_BY_TAG},
        "units": {unit: blank_unit() for unit in UNITS},
    }


def blank_unit() -> dict[str, Any]:
    return {"state": "IDLE", "batch_id": "", "phase_id": "", "reason": "", "changed_at": None}


class DeltaVState:
    def __init__(self, data_dir: Path) -> None:
        self.doc = JsonState(data_dir / "state.json", seed)

    @property
    def setpoints(self) -> dict[str, float]:
        sps: dict[str, float] = self.doc.data["setpoints"]
        return sps

    @property
    def alarms(self) -> dict[str, str]:
        alarms: dict[str, str] = self.doc.data["alarms"]
        return alarms

    def unit(self, unit: str) -> dict[str, Any]:
        units: dict[str, dict[str, Any]] = self.doc.data["units"]
        return units.setdefault(unit, blank_unit())

    def save(self) -> None:
        self.doc.save()
