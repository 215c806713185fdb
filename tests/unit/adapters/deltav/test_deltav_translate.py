"""The translator, offline: the fake DeltaV, the shipped mappings, and a pipeline that only translates."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.deltav.audit import AuditReader
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.fake import FakeDeltaV
from adapters.deltav.inbox import Inbox, Resync
from adapters.deltav.model import EventNote, Sample
from adapters.deltav.state import AdapterState
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.translate import Translator
from adapters.deltav.watchdog import Supervisor
from adapters.framework.inbound import Accepted, Rejected
from adapters.framework.metrics import AdapterMetrics
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog, load_catalog
from mappings.engine.errors import TranslationError
from tests.support.fuzz import MemoryCursors

pytestmark = pytest.mark.unit
MODULE = "DeltaV/CAM-CP/CP-1/BR-101/TIC-101"


class TranslatingPipeline:
    """The inbound pipeline without NATS: translates with the shipped mappings and keeps the results."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog, self.events, self.rejected = catalog, [], []  # type: ignore[var-annotated]
        self.subjects: list[str | None] = []

    async def accept(self, raw: bytes, *, origin: str, mapping: str | None = None, traceparent: str | None = None,
                     subject: str | None = None) -> Accepted | Rejected:
        chosen = self.catalog.get(mapping) if mapping else self.catalog.select("deltav", raw)
        try:
            translations = chosen.translate(raw)  # type: ignore[union-attr]
        except TranslationError as exc:
            self.rejected.append(str(exc))
            return Rejected(exc.reason, exc.path, chosen.ref, "dead-letter")
        found = tuple(t.envelope(source="/test", system="deltav", actor="service:adapter-deltav") for t in translations)
        self.events += found
        self.subjects += [subject] * len(found)
        return Accepted(found, 0)

    def of(self, name: str) -> list[Envelope[Any]]:
        return [e for e in self.events if e.type.endswith(f".{name}.v1")]


@dataclasses.dataclass
class Machinery:
    fake: FakeDeltaV
    inbox: Inbox
    supervisor: Supervisor
    state: AdapterState
    pipeline: TranslatingPipeline
    translator: Translator
    metrics: DeltaVMetrics
    cursors: MemoryCursors

    async def drain(self) -> None:
        while self.inbox.qsize():
            await self.translator.handle(await self.inbox.get())


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
async def m(catalog: Catalog) -> Machinery:
    fake = FakeDeltaV()
    config = DeltaVAdapterConfig(url=fake.url, security_policy="None", security_mode="None")
    registry = CollectorRegistry()
    metrics = DeltaVMetrics(registry)
    inbox = Inbox(100, metrics.dropped)
    supervisor = Supervisor(fake, inbox, config, AdapterMetrics("deltav", registry))
    cursors = MemoryCursors()
    state = AdapterState(cursors)  # type: ignore[arg-type]
    pipeline = TranslatingPipeline(catalog)
    translator = Translator(pipeline, state, supervisor, config, metrics, lambda: None)  # type: ignore[arg-type]
    await supervisor._connect()
    machinery = Machinery(fake, inbox, supervisor, state, pipeline, translator, metrics, cursors)
    await machinery.drain()  # the first resync
    return machinery


def values(m: Machinery) -> list[float]:
    return [e.data.value.value for e in m.pipeline.of("process_value_recorded")]


async def test_values_are_published_beyond_the_deadband_once_and_nan_is_refused(m: Machinery) -> None:
    m.fake.reading(37.0)
    m.fake.reading(38.4)  # within 0.5 % of the 300 K span (1.5)
    last = m.fake.reading(38.6)
    m.inbox.put(last)  # the same notification twice (duplicate fault)
    m.fake.reading(float("nan"))
    await m.drain()
    assert values(m) == [37.0, 38.6]
    assert m.metrics.deadband_skipped._value.get() == 1
    assert m.pipeline.rejected and "'NaN' is not a valid number" in m.pipeline.rejected[0]
    assert m.state.watermarks["BR-101/TIC-101/PV"].value == 38.6  # a refused NaN is not the reference


async def test_a_gap_is_backfilled_from_history_and_live_overlap_is_skipped(m: Machinery) -> None:
    m.fake.reading(37.0)
    await m.drain()
    connection = m.fake.live.pop()  # nobody listens for a while
    missed = [m.fake.reading(v) for v in (39.0, 39.1, 41.0)]
    m.fake.live.append(connection)
    await m.translator.handle(Resync("test"))
    m.inbox.put(missed[-1])  # live delivery of what the backfill already published
    await m.drain()
    assert values(m) == [37.0, 39.0, 41.0] and m.metrics.backfilled._value.get() == 2
    ids = [e.id for e in m.pipeline.of("process_value_recorded")]
    assert len(set(ids)) == len(ids)


async def test_a_phase_change_while_disconnected_is_read_and_its_late_event_not_repeated(m: Machinery) -> None:
    m.fake.command("Start", "batch.executive", "CART-1")
    await m.drain()
    (started,) = m.pipeline.of("batch_phase_changed")
    assert (started.data.phase.state, started.data.phase.previous_state, started.mapping) == \
        ("running", "idle", "deltav/phase_state@1")
    connection = m.fake.live.pop()
    m.fake.command("Hold", "sup.kchen", reason="leak check")
    m.fake.live.append(connection)
    await m.translator.handle(Resync("reconnected"))
    late = EventNote(f"{MODULE.rsplit('/', 1)[0]}/Phase", {"EventId": "late", "ToState": "HELD", "FromState": "RUNNING",
                                                            "BatchId": "CART-1", "PhaseId": "PH-0501",
                                                            "Time": datetime.now(UTC)})
    m.inbox.put(late)
    await m.drain()
    states = [(e.data.phase.state, e.mapping) for e in m.pipeline.of("batch_phase_changed")]
    assert states == [("running", "deltav/phase_state@1"), ("held", "deltav/phase_read@1")]
    assert m.fake.reading(37.0) and (await _drained(m)) and values(m)[-1] == 37.0
    assert m.pipeline.of("process_value_recorded")[-1].data.batch_id == "CART-1"


async def _drained(m: Machinery) -> bool:
    await m.drain()
    return True


def alarm(event_id: str, active: bool, at: datetime) -> EventNote:
    return EventNote(MODULE, {"EventId": event_id, "Time": at, "Message": "BR-101/TIC-101 Temperature HI alarm",
                              "Severity": 700 if active else 100, "ActiveState/Id": active, "AckedState/Id": not active,
                              "ConditionId": "ns=2;s=BR-101/TIC-101/PV_ALM", "InputNode": "ns=2;s=BR-101/TIC-101/PV"})


async def test_raise_and_clear_name_one_occurrence_and_a_refresh_repeats_nothing(m: Machinery) -> None:
    raised_at = datetime(2026, 11, 22, 21, 36, 28, tzinfo=UTC)
    for note in (alarm("e1", True, raised_at), alarm("e1", True, raised_at)):  # ConditionRefresh re-sends e1
        m.inbox.put(note)
    await m.drain()
    m.translator.events._recent.clear()  # as after an adapter restart: only the persisted memory is left
    m.inbox.put(alarm("e1", True, raised_at))
    m.inbox.put(alarm("e2", False, raised_at + timedelta(seconds=5)))
    await m.drain()
    raised, cleared = m.pipeline.of("alarm_raised"), m.pipeline.of("alarm_cleared")
    assert len(raised) == 1 and len(cleared) == 1
    assert raised[0].data.alarm.alarm_id == cleared[0].data.alarm.alarm_id == \
        "BR-101/TIC-101/PV_ALM#2026-11-22T21:36:28+00:00"
    assert m.state.alarms == {}
    assert json.loads(m.cursors.data["adapter.deltav.alarms"]) == {}


async def test_the_journal_is_relayed_once_with_set_point_changes(m: Machinery) -> None:
    m.fake.command("Start", "batch.executive", "CART-9")
    await m.drain()
    await m.fake.live[0].write(m.fake.plant.sps["BR-101/TIC-101/SP"], 37.3)
    reader = AuditReader(m.supervisor, m.pipeline, m.cursors, 1, m.translator.context)  # type: ignore[arg-type]
    assert await reader.poll_once() == 2
    assert await reader.poll_once() == 0
    audit = m.pipeline.of("audit_recorded")
    assert [a.data.record.action for a in audit] == ["start", "write"] and m.cursors.data[
        "adapter.deltav.native_audit"] == "2"
    (changed,) = m.pipeline.of("setpoint_changed")
    assert (changed.data.set_point.value, changed.data.set_point.unit, changed.data.batch_id) == (37.3, "Cel", "CART-9")
    assert changed.data.previous is not None and changed.data.previous.value == 37.0


async def test_a_dcs_clock_set_back_is_followed_not_waited_for(m: Machinery) -> None:
    pv = m.fake.plant.pvs["BR-101/TIC-101/PV"]
    now = datetime.now(UTC)
    for when, value in ((now + timedelta(hours=2), 37.0), (now, 39.0), (now + timedelta(seconds=1), 41.0)):
        m.inbox.put(Sample(pv.path, value, "Good", when))  # a skewed clock, corrected
    await m.drain()
    assert values(m) == [37.0, 39.0, 41.0]


async def test_samples_of_other_nodes_are_not_process_values(m: Machinery) -> None:
    await m.translator.sample(Sample("DeltaV/Elsewhere/PV", 1.0, "Good", datetime.now(UTC)),
                              m.fake.plant)
    assert values(m) == []
