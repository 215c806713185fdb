"""Phase control of each unit: commands from OPC UA methods or the batch executive, and the phase logic.

Commands follow simulators.deltav.phase; a transient state (HOLDING, RESTARTING, STOPPING,
ABORTING) is finished by the phase logic after TRANSIENT_SECONDS. Every change is persisted,
published on the Phase variables, raised as a PhaseStateEventType event and written to the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from asyncua import ua

from simulators.common.clock import SimClock
from simulators.deltav import phase
from simulators.deltav.address_space import PHASE_VARIABLES, phase_values
from simulators.deltav.events import EventSink, notifier_chain, phase_event
from simulators.deltav.journal import Journal
from simulators.deltav.nodes import NodeBuilder
from simulators.deltav.plant import UNITS, phase_def, unit_of
from simulators.deltav.state import DeltaVState
from simulators.deltav.uatypes import node_id

TRANSIENT_SECONDS = 0.5
PHASE_LOGIC = "system"
_AUDITED = ("state", "batch_id", "phase_id", "reason")


class BatchControl:
    def __init__(self, state: DeltaVState, nodes: NodeBuilder, sink: EventSink, journal: Journal,
                 clock: SimClock) -> None:
        self.state, self.nodes, self.sink, self.journal, self.clock = state, nodes, sink, journal, clock
        self.event_type = node_id(0)
        self._settling: dict[str, asyncio.Task[None]] = {}
        self.listeners: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []  # e.g. the job order receiver

    def resume(self) -> None:
        """After a restart, finish the transient states the phases were left in."""
        for unit in UNITS:
            if self.state.unit(unit)["state"] in phase.SETTLES_TO:
                self._settle_later(unit)

    async def stop(self) -> None:
        for task in list(self._settling.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._settling.clear()

    def snapshot(self, unit: str) -> dict[str, Any]:
        current = dict(self.state.unit(unit_of(unit)))
        return {"unit": unit, **current, "available_commands": phase.available(current["state"])}

    async def command(self, unit: str, command: str, user: str, *, batch_id: str = "", phase_id: str = "",
                      reason: str = "") -> str:
        """Apply an operator or batch executive command; InvalidTransition when the state refuses it."""
        current = self.state.unit(unit_of(unit))
        target = phase.next_state(current["state"], command)
        changes: dict[str, Any] = {"state": target, "reason": reason}
        if command == "START":
            if not batch_id.strip() or len(batch_id) > 64:
                raise ValueError("a batch id of 1 to 64 characters is required")
            definition = phase_def(unit, phase_id)
            changes.update(batch_id=batch_id.strip(), phase_id=definition.id, phase_name=definition.name,
                           unit_procedure=definition.unit_procedure)
        elif command == "RESET":
            changes.update(batch_id="", phase_id="", phase_name="", unit_procedure="")
        elif command in ("RESTART", "COMPLETE"):
            changes["reason"] = ""
        await self._apply(unit, command.lower(), user, changes)
        return target

    async def _apply(self, unit: str, action: str, user: str, changes: dict[str, Any]) -> None:
        task = self._settling.pop(unit, None)
        if task and task is not asyncio.current_task():
            task.cancel()
        current = self.state.unit(unit)
        old = dict(current)
        current.update(changes, changed_at=self.clock.now().isoformat())
        self.state.save()
        values, when = phase_values(current), self.clock.now()
        for key, (name, vtype) in PHASE_VARIABLES.items():
            await self.nodes.publish(f"{unit}/Phase/{name}", values[key], vtype, when)
        await self.nodes.publish(f"{unit}/Phase/AvailableCommands", phase.available(current["state"]),
                                 ua.VariantType.String, when)
        event = phase_event(self.nodes.ns, self.event_type, unit, current, old["state"], user)
        await self.sink.emit(event, notifier_chain(self.nodes.ns, unit))
        audited = {k: (old.get(k) or "", current.get(k) or "") for k in _AUDITED if old.get(k) != current.get(k)}
        await self.journal.record(user, action, "phase", unit, audited, current.get("reason") or None)
        for listener in self.listeners:
            await listener(unit, current)
        if current["state"] in phase.SETTLES_TO:
            self._settle_later(unit)

    def _settle_later(self, unit: str) -> None:
        async def settle() -> None:
            await asyncio.sleep(TRANSIENT_SECONDS)
            target = phase.SETTLES_TO[self.state.unit(unit)["state"]]
            await self._apply(unit, "phase_logic", PHASE_LOGIC, {"state": target})

        self._settling[unit] = asyncio.get_running_loop().create_task(settle())
