"""The translator: one task that takes notifications from the inbox, in order, into the pipeline.

Process values are published on change beyond the deadband of the last published value (and
always when not Good or not a finite number, which the mapping refuses into the dead letters, so a
broken transmitter is seen rather than hidden). A sample at or before a PV's watermark is already
covered (a duplicate notification, or the overlap of a backfill with live data) and is skipped; its
message id (node + SourceTimestamp) would be dropped by JetStream anyway. A sample more than a minute
before the watermark means the DCS clock was set back: the watermark follows it rather than
dropping everything until the clock catches up. Events go to
`adapters.deltav.events`, Resync markers to `adapters.deltav.resync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from datetime import timedelta

from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.events import EventTranslator
from adapters.deltav.inbox import Inbox, Item, Resync
from adapters.deltav.model import Analog, EventNote, Plant, Sample
from adapters.deltav.records import PhaseContext, sample_record
from adapters.deltav.resync import resync
from adapters.deltav.state import AdapterState
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.watchdog import Supervisor
from adapters.framework.inbound import Accepted, InboundPipeline

log = logging.getLogger(__name__)
PROCESS_VALUE = "deltav/process_value"
CLOCK_STEP = timedelta(seconds=60)


class Translator:
    def __init__(self, pipeline: InboundPipeline, state: AdapterState, supervisor: Supervisor,
                 config: DeltaVAdapterConfig, metrics: DeltaVMetrics, wake_audit: Callable[[], None]) -> None:
        self.pipeline, self.state, self.supervisor = pipeline, state, supervisor
        self.config, self.metrics, self.wake_audit = config, metrics, wake_audit
        self.events = EventTranslator(self)
        self._by_path: tuple[Plant | None, dict[str, Analog]] = (None, {})
        self._stop = asyncio.Event()

    @property
    def plant(self) -> Plant | None:
        return self.supervisor.latest_plant

    async def run(self, inbox: Inbox, stop: asyncio.Event) -> None:
        self._stop = stop
        while not stop.is_set():
            getter = asyncio.ensure_future(inbox.get())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter not in done:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
                return
            try:
                await self.handle(getter.result())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deltav: translating a notification failed")

    async def handle(self, item: Item) -> None:
        plant = self.plant
        if isinstance(item, Resync):
            await resync(self, item.reason)
        elif plant is None:
            return
        elif isinstance(item, Sample):
            await self.sample(item, plant)
        elif isinstance(item, EventNote):
            await self.events.handle(item, plant)

    def context(self, unit: str) -> PhaseContext | None:
        memory = self.state.phases.get(unit)
        return memory.context if memory else None

    async def sample(self, s: Sample, plant: Plant) -> bool:
        """Publish one PV sample if it is news; True when it was published (or dead-lettered)."""
        if plant.last_seq_node and s.path == plant.paths.get(plant.last_seq_node):
            self.wake_audit()
            return False
        pv = self._pvs(plant).get(s.path)
        if pv is None:
            return False
        mark = self.state.watermarks.get(pv.tag)
        if mark is not None and s.source_time is not None and s.source_time <= mark.time:
            if mark.time - s.source_time < CLOCK_STEP:
                return False
            # far behind anything delivered late or backfilled: the DCS clock was set back (a skew corrected)
            log.warning("deltav: %s went %s back in time; following the DCS clock", pv.tag, mark.time - s.source_time)
            self.state.advance(pv.tag, s.source_time - CLOCK_STEP, None)
            mark = self.state.watermarks[pv.tag]
        value = s.value if isinstance(s.value, int | float) and not isinstance(s.value, bool) else None
        finite = value is not None and math.isfinite(value)
        if (finite and s.status == "Good" and mark is not None and mark.value is not None
                and abs(float(value) - mark.value) <= pv.deadband(self.config.deadband_percent)):  # type: ignore[arg-type]
            self.metrics.deadband_skipped.inc()
            return False
        unit = plant.units.get(pv.unit)
        outcome = await self.publish(sample_record(pv, s, unit, self.context(pv.unit)), PROCESS_VALUE)
        if s.source_time is not None:
            published = float(value) if finite and isinstance(outcome, Accepted) else None  # type: ignore[arg-type]
            self.state.advance(pv.tag, s.source_time, published)
        return True

    def _pvs(self, plant: Plant) -> dict[str, Analog]:
        if self._by_path[0] is not plant:
            self._by_path = (plant, {pv.path: pv for pv in plant.pvs.values()})
        return self._by_path[1]

    async def publish(self, raw: bytes, mapping: str) -> object:
        """Translate and publish; while JetStream cannot take it, wait and try again (nothing is skipped)."""
        delay = 0.5
        while True:
            try:
                return await self.pipeline.accept(raw, origin=self.supervisor.connector.url, mapping=mapping)
            except Exception as exc:
                if self._stop.is_set():
                    raise
                log.warning("deltav: publishing failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
