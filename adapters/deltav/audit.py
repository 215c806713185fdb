"""DeltaV's event journal, read with AuditTrail.GetEntries(AfterSeq, MaxEntries) and relayed.

Every entry becomes AuditRecorded on gxp.audit.deltav (mapping deltav/audit_entry); a set point
entry also becomes SetpointChanged (deltav/setpoint_changed) with the engineering unit of the set
point and the batch running on its unit added as `enrichment` (the entry itself has neither). The
cursor (the last seq) is persisted only after JetStream acknowledged the page, so a restart neither
skips nor repeats; a repeat would dedupe by id anyway. The reader polls, and is woken at once by
the AuditTrail/LastSeq data change. A journal that restarted below the cursor (a reinstalled DCS)
is read again from the start: entry ids include the entry time, so nothing collides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from adapters.deltav.errors import BadStatus
from adapters.deltav.model import ACTIVE_PHASE_STATES, Plant
from adapters.deltav.records import PhaseContext
from adapters.deltav.watchdog import Supervisor
from adapters.framework.inbound import InboundPipeline, Rejected
from canonical_model import subjects
from messaging.errors import RetryableError
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.deltav.native_audit"
AUDIT, SETPOINT = "deltav/audit_entry", "deltav/setpoint_changed"


class AuditReader:
    def __init__(self, supervisor: Supervisor, pipeline: InboundPipeline, cursors: CursorStore, page: int,
                 context: Callable[[str], PhaseContext | None]) -> None:
        self.supervisor, self.pipeline, self.cursors, self.page = supervisor, pipeline, cursors, page
        self.context = context
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def poll_once(self) -> int:
        connection, plant = await self.supervisor.session(0)
        published = 0
        while True:
            after = int(await self.cursors.get(CURSOR) or 0)
            entries = [json.loads(e) for e in await connection.audit_entries(after, self.page)]
            if not entries:
                if after and await self._restarted(after, plant, connection):
                    continue
                return published
            for entry in entries:
                await self._relay(entry, plant)
            await self.cursors.set(CURSOR, str(entries[-1]["seq"]))
            published += len(entries)
            if len(entries) < self.page:
                return published

    async def _relay(self, entry: dict[str, Any], plant: Plant) -> None:
        origin = self.supervisor.connector.url
        raw = json.dumps(entry, separators=(",", ":")).encode()
        outcome = await self.pipeline.accept(raw, origin=origin, mapping=AUDIT,
                                             subject=subjects.audit_subject("deltav"))
        if isinstance(outcome, Rejected):
            log.warning("deltav audit entry %s was dead-lettered: %s", entry.get("seq"), outcome.reason)
        sp = plant.sps.get(str(entry.get("record_id"))) if entry.get("record_type") == "setpoint" else None
        if sp is not None:
            context = self.context(sp.unit)
            running = context is not None and context.state in ACTIVE_PHASE_STATES and context.batch_id
            enrichment = {"engineering_units": {"UnitId": sp.eu_unit_id, "DisplayName": sp.eu_display},
                          "batch_id": context.batch_id if running and context else None}
            await self.pipeline.accept(json.dumps({**entry, "enrichment": enrichment}).encode(), origin=origin,
                                       mapping=SETPOINT)

    async def _restarted(self, after: int, plant: Plant, connection: Any) -> bool:
        if not plant.last_seq_node:
            return False
        (last,) = await connection.read_values([plant.last_seq_node])
        if isinstance(last, int) and last < after:
            log.warning("deltav: the journal ends at seq %d, before the cursor %d: reading it again from the start",
                        last, after)
            await self.cursors.set(CURSOR, "0")
            return True
        return False

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.poll_once()
            except (RetryableError, BadStatus) as exc:
                log.info("deltav audit trail not readable now: %s", exc)
            except Exception:
                log.exception("deltav audit poll failed")
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), every)
            for w in waits:
                w.cancel()
