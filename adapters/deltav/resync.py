"""After a (re)connect or an inbox overflow: recover what the live notifications did not bring.

1. HistoryRead backfill: for every PV with a watermark, the raw history from the watermark (at most
   `backfill_max_seconds` back) goes through the same deadband and watermark rules as live data,
   so the published series is what an uninterrupted subscription would have given, and values the
   live subscription also delivers are skipped as covered.
2. Phase read: a unit whose phase state or batch differs from what the adapter last knew changed
   while nobody listened; the read is published as BatchPhaseChanged (mapping deltav/phase_read;
   its id derives from the Phase/CurrentState node and StateChangedAt, so a re-read is a duplicate).
   A unit seen for the first time is remembered, and published when it runs a batch.
3. ConditionRefresh: the server re-sends its active alarms; those already published are skipped
   (adapters.deltav.events), one raised during the gap is published.
Alarms that were raised and cleared, and phase transitions that returned to the same state, while
disconnected are not recoverable from OPC UA; the DeltaV audit trail (relayed with its own cursor)
records them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from adapters.deltav.errors import BadStatus
from adapters.deltav.records import PhaseContext, phase_read_record
from messaging.errors import RetryableError

if TYPE_CHECKING:
    from adapters.deltav.connection import Connection
    from adapters.deltav.model import Plant
    from adapters.deltav.translate import Translator

log = logging.getLogger(__name__)
PHASE_READ = "deltav/phase_read"
ATTEMPTS = 3


async def resync(t: Translator, reason: str) -> None:
    try:  # queued while the session subscribes: wait until it is ready
        connection, plant = await t.supervisor.session(3 * t.config.request_timeout_seconds)
    except RetryableError:
        return  # that session did not come up; the next one queues its own Resync
    try:
        backfilled = await _backfill(t, connection, plant)
        await _phases(t, connection, plant)
        await connection.refresh_conditions()
    except (RetryableError, BadStatus) as exc:
        log.warning("deltav: resync after %s incomplete (%s); the next session resyncs again", reason, exc)
        return
    log.info("deltav: resync after %s: %d samples backfilled from history", reason, backfilled)


async def _backfill(t: Translator, connection: Connection, plant: Plant) -> int:
    horizon = datetime.now(UTC) - timedelta(seconds=t.config.backfill_max_seconds)
    published = 0
    for pv in plant.pvs.values():
        mark = t.state.watermarks.get(pv.tag)
        if mark is None:
            continue  # never published: live values start the series
        for attempt in range(1, ATTEMPTS + 1):
            try:
                samples = await connection.history(pv, max(mark.time, horizon))
                break
            except BadStatus as exc:
                if attempt == ATTEMPTS:
                    t.metrics.backfill_failures.inc()
                    log.warning("deltav: no history for %s (%s): its gap stays open", pv.tag, exc)
                    samples = []
                else:
                    await asyncio.sleep(0.2 * attempt)
        for sample in samples:
            if await t.sample(sample, plant):
                published += 1
                t.metrics.backfilled.inc()
    await t.state.save_watermarks()
    return published


async def _phases(t: Translator, connection: Connection, plant: Plant) -> None:
    for snapshot in await connection.read_phases(plant):
        unit = plant.units.get(snapshot.unit)
        if unit is None or snapshot.status != "Good":
            continue
        known = t.context(snapshot.unit)
        if known is not None and (known.state, known.batch_id) == (snapshot.state, snapshot.batch_id):
            continue
        if snapshot.batch_id:
            await t.publish(phase_read_record(unit, snapshot), PHASE_READ)
        context = PhaseContext(snapshot.state, snapshot.batch_id, snapshot.phase_id, snapshot.changed_at)
        await t.state.remember_phase(snapshot.unit, context, from_read=True)
