"""Scenario steps and manual triggers (admin endpoint): what the batch executive or an operator would do.

Parameters are validated like operator input; a refused command raises ValueError, which the
admin endpoint answers with 422. Process values keep running whatever the actions do.
"""

from __future__ import annotations

from typing import Any

from simulators.common.base import Action
from simulators.deltav import phase
from simulators.deltav.batch import BatchControl
from simulators.deltav.plant import loop_by_name
from simulators.deltav.runtime import ProcessRuntime

BATCH_EXECUTIVE = "batch.executive"  # DeltaV Batch Executive: who drives phases when no operator does


def _text(params: dict[str, Any], key: str, default: str = "") -> str:
    value = params.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _number(params: dict[str, Any], key: str, default: float | None = None) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    return float(value)


def build_actions(control: BatchControl, runtime: ProcessRuntime) -> dict[str, Action]:
    def state_of(unit: str) -> dict[str, Any]:
        return {**control.snapshot(unit), "values": runtime.values(unit)}

    def command(name: str, *reasoned: str) -> Action:
        async def run(params: dict[str, Any]) -> dict[str, Any]:
            unit = _text(params, "unit", "BR-101")
            extra = {key: _text(params, key) for key in reasoned}
            await control.command(unit, name, _text(params, "user", BATCH_EXECUTIVE), **extra)
            return state_of(unit)

        return run

    async def start_batch(params: dict[str, Any]) -> dict[str, Any]:
        """Start the unit's phase for a batch; a finished phase is reset first, as the batch executive does."""
        unit, user = _text(params, "unit", "BR-101"), _text(params, "user", BATCH_EXECUTIVE)
        if "batch_id" not in params:
            raise KeyError("batch_id")
        if control.snapshot(unit)["state"] in phase.FINISHED:
            await control.command(unit, "RESET", user)
        await control.command(unit, "START", user, batch_id=_text(params, "batch_id"),
                              phase_id=_text(params, "phase") or _text(params, "phase_id"))
        return state_of(unit)

    async def inject_excursion(params: dict[str, Any]) -> dict[str, Any]:
        unit = _text(params, "unit", "BR-101")
        return runtime.excursion(unit, _text(params, "value", "Temperature"), _number(params, "to"),
                                 _number(params, "seconds", 5.0))

    async def set_setpoint(params: dict[str, Any]) -> dict[str, Any]:
        loop = loop_by_name(_text(params, "unit", "BR-101"), _text(params, "value"))
        value = _number(params, "sp")
        if not loop.lo <= value <= loop.hi:
            raise ValueError(f"{loop.sp_tag} accepts {loop.lo} to {loop.hi} {loop.ucum}")
        await runtime.set_setpoint(loop.sp_tag, value, _text(params, "user", BATCH_EXECUTIVE),
                                   _text(params, "reason"))
        return state_of(loop.unit)

    async def state(params: dict[str, Any]) -> dict[str, Any]:
        return state_of(_text(params, "unit", "BR-101"))

    return {
        "start_batch": start_batch, "complete_phase": command("COMPLETE"), "hold": command("HOLD", "reason"),
        "restart": command("RESTART"), "stop": command("STOP", "reason"), "abort": command("ABORT", "reason"),
        "reset": command("RESET"), "inject_excursion": inject_excursion, "set_setpoint": set_setpoint,
        "state": state,
    }
