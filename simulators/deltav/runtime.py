"""The controllers: scan the loops, publish PVs, raise limit alarms, and accept set point writes.

Each scan (SCAN_SECONDS) moves every PV and writes it with the DCS clock as SourceTimestamp.
A malformed-output fault publishes a NaN reading with Good status (a broken transmitter the
server does not flag), which a robust client must refuse; alarms ignore it as DeltaV would.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from typing import Any

from asyncua import ua

from simulators.common.base import SimContext
from simulators.deltav.events import EventSink, alarm_event, audit_write_event, notifier_chain
from simulators.deltav.journal import Journal
from simulators.deltav.nodes import NodeBuilder
from simulators.deltav.plant import LOOPS, LOOPS_BY_SP_TAG, LOOPS_BY_TAG, loop_by_name
from simulators.deltav.process import ProcessLoop, limit_state
from simulators.deltav.state import DeltaVState
from simulators.deltav.uatypes import ObjectIds, StatusCodes, node_id, status

SCAN_SECONDS = 0.5
SYSTEM = "system"  # the identity DeltaV logs for changes its own logic makes


class ProcessRuntime:
    def __init__(self, ctx: SimContext, state: DeltaVState, nodes: NodeBuilder, sink: EventSink,
                 journal: Journal) -> None:
        self.ctx, self.state, self.nodes, self.sink, self.journal = ctx, state, nodes, sink, journal
        self.loops = {tag: ProcessLoop(loop, ctx.seed) for tag, loop in LOOPS_BY_TAG.items()}
        self.readings = {tag: loop.sp for tag, loop in LOOPS_BY_TAG.items()}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(SCAN_SECONDS)
            now = time.monotonic()
            await self.scan(now - last, now)
            last = now

    async def scan(self, dt: float, now: float) -> None:
        when = self.ctx.clock.now()
        for tag, process in self.loops.items():
            reading = process.step(dt, self.state.setpoints[process.loop.sp_tag], now)
            self.readings[tag] = reading
            published = math.nan if self.ctx.faults.malformed() else reading
            await self.nodes.publish(tag, published, ua.VariantType.Double, when)
            await self._check_alarm(tag, reading)

    async def _check_alarm(self, tag: str, reading: float) -> None:
        loop, old = LOOPS_BY_TAG[tag], self.state.alarms[tag]
        new = limit_state(old, reading, loop)
        if new == old:
            return
        self.state.alarms[tag] = new
        self.state.save()
        await self.nodes.publish(f"{loop.module}/PV_ALM", new, ua.VariantType.String, self.ctx.clock.now())
        event = alarm_event(self.nodes.ns, loop, new, reading)
        await self.sink.emit(event, notifier_chain(self.nodes.ns, loop.unit))
        await self.journal.record(SYSTEM, "alarm", "alarm", f"{loop.module}/PV_ALM", {"state": (old, new)},
                                  event.Message.Text)

    async def write_setpoint(self, nodeid: ua.NodeId, value: ua.DataValue, user: str) -> ua.StatusCode | None:
        """The set point write service: None when the node is not a set point (the caller decides)."""
        loop = LOOPS_BY_SP_TAG.get(nodeid.Identifier) if isinstance(nodeid.Identifier, str) else None
        if loop is None:
            return None
        variant = value.Value
        if variant is None or variant.VariantType != ua.VariantType.Double:
            return status(StatusCodes.BadTypeMismatch)
        new, old = float(variant.Value), self.state.setpoints[loop.sp_tag]
        result = status(StatusCodes.Good if loop.lo <= new <= loop.hi else StatusCodes.BadOutOfRange)
        if result.is_good():
            await self.set_setpoint(loop.sp_tag, new, user)
        event = audit_write_event(self.nodes.ns, loop.sp_tag, old, new, user, result)
        await self.sink.emit(event, [node_id(ObjectIds.Server)])
        return result

    async def set_setpoint(self, sp_tag: str, value: float, user: str, reason: str = "") -> None:
        old = self.state.setpoints[sp_tag]
        self.state.setpoints[sp_tag] = value
        self.state.save()
        await self.nodes.publish(sp_tag, value, ua.VariantType.Double, self.ctx.clock.now())
        await self.journal.record(user, "write", "setpoint", sp_tag, {"SP": (old, value)}, reason)

    def excursion(self, unit: str, name: str, to: float, seconds: float) -> dict[str, Any]:
        loop = loop_by_name(unit, name)
        if not (math.isfinite(to) and 0 < seconds <= 3600):
            raise ValueError("need a finite 'to' and 0 < seconds <= 3600")
        self.loops[loop.tag].disturb(to, time.monotonic() + seconds)
        return {"unit": unit, "tag": loop.tag, "to": to, "seconds": seconds, "hi": loop.hi, "lo": loop.lo}

    def values(self, unit: str) -> dict[str, Any]:
        return {loop.name: {"tag": loop.tag, "pv": self.readings[loop.tag],
                            "sp": self.state.setpoints[loop.sp_tag], "unit": loop.ucum, "lo": loop.lo, "hi": loop.hi,
                            "alarm": self.state.alarms[loop.tag]} for loop in LOOPS[unit]}
