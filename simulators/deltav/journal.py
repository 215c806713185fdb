"""DeltaV's event journal over OPC UA: each native audit entry is also an event and readable by a method.

Auditors correlate this trail with gxplink's, so it must be reachable through the system's own
protocol: an AuditTrailEntryEventType event per entry (on the AuditTrail object and the Server),
the AuditTrail/LastSeq variable to watch, and AuditTrail.GetEntries(AfterSeq, MaxEntries) to page.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asyncua import ua

from simulators.common.audit import AuditEntry, NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.deltav.events import EventSink, audit_entry_event
from simulators.deltav.nodes import NodeBuilder
from simulators.deltav.uatypes import ObjectIds, StatusCodes, node_id, status


class Journal:
    def __init__(self, trail: NativeAuditTrail, nodes: NodeBuilder, sink: EventSink, clock: SimClock) -> None:
        self.trail, self.nodes, self.sink, self.clock = trail, nodes, sink, clock
        self.event_type = node_id(0)
        self._pending: set[asyncio.Task[None]] = set()

    async def record(self, user: str, action: str, record_type: str, record_id: str,
                     changes: dict[str, tuple[Any, Any]] | None = None, reason: str | None = None) -> list[AuditEntry]:
        entries = self.trail.record(user, action, record_type, record_id, changes, reason or None)
        await self._publish(entries)
        return entries

    def record_soon(self, user: str, action: str, record_type: str, record_id: str, reason: str) -> None:
        """From synchronous code (session activation): write now, publish the events on the loop."""
        entries = self.trail.record(user, action, record_type, record_id, None, reason)
        task = asyncio.get_running_loop().create_task(self._publish(entries))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, entries: list[AuditEntry]) -> None:
        for entry in entries:
            event = audit_entry_event(self.nodes.ns, self.event_type, entry)
            await self.sink.emit(event, [self.nodes.id("AuditTrail"), node_id(ObjectIds.Server)])
        await self.sync_last_seq()

    async def sync_last_seq(self) -> None:
        last = self.trail.entries[-1].seq if self.trail.entries else 0
        await self.nodes.publish("AuditTrail/LastSeq", last, ua.VariantType.UInt32, self.clock.now())

    async def get_entries(self, parent: ua.NodeId, *args: ua.Variant) -> list[ua.Variant] | ua.StatusCode:
        """AuditTrail.GetEntries(AfterSeq: UInt32, MaxEntries: UInt32) -> Entries: String[] (one JSON object each)."""
        if len(args) != 2:
            return status(StatusCodes.BadArgumentsMissing if len(args) < 2 else
                                 StatusCodes.BadTooManyArguments)
        after, limit = (a.Value for a in args)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (after, limit)):
            return status(StatusCodes.BadInvalidArgument)
        entries = self.trail.since(after, limit or 1000)
        return [ua.Variant([json.dumps(e.as_dict(), default=str) for e in entries], ua.VariantType.String,
                           is_array=True)]
