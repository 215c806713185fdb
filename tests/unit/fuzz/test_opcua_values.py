"""Fuzzing the DeltaV adapter's translation of OPC UA data changes and events with values of every kind.

Random `ua.DataValue`s (Variants of every built-in type: None, booleans, integers at their type's
limits, NaN and infinities, numbers as strings, texts, GUIDs, byte strings, NodeIds, arrays; StatusCodes
good, uncertain, bad or unknown; timestamps missing, naive, in other zones, at the ends of the OPC UA
range) go the way the subscription delivers them: `convert.sample` (or `Handler.event_notification`)
-> `Translator` -> records.py -> the shipped mapping -> the inbound pipeline. The property: each
notification becomes one canonical event whose value is that finite number, or one dead letter with a
reason, or is skipped for a documented reason (watermark, deadband); never an exception, never a hang.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, cast

import pytest
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from adapters.deltav.client.convert import Handler
from adapters.deltav.client.convert import sample as to_sample
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.fake import FakeDeltaV
from adapters.deltav.inbox import Inbox
from adapters.deltav.model import EventNote, Plant, Sample
from adapters.deltav.state import AdapterState
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.translate import CLOCK_STEP, Translator
from adapters.deltav.watchdog import Supervisor
from adapters.framework.metrics import AdapterMetrics
from tests.support.fuzz import MemoryCursors, RecordingPublisher, recording_pipeline

pytestmark = pytest.mark.unit
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PV_TAG = "BR-101/TIC-101/PV"
WATERMARK = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # the PV's last published sample, value 37.0
LAST_VALUE = 37.0

# --- ua.Variant of every built-in type, with the values asyncua can decode for it ---------------------------
_INT_RANGES = {ua.VariantType.SByte: (-(2**7), 2**7 - 1), ua.VariantType.Byte: (0, 2**8 - 1),
               ua.VariantType.Int16: (-(2**15), 2**15 - 1), ua.VariantType.UInt16: (0, 2**16 - 1),
               ua.VariantType.Int32: (-(2**31), 2**31 - 1), ua.VariantType.UInt32: (0, 2**32 - 1),
               ua.VariantType.Int64: (-(2**63), 2**63 - 1), ua.VariantType.UInt64: (0, 2**64 - 1)}
_integers = st.one_of(*(st.builds(ua.Variant, st.integers(lo, hi) | st.sampled_from([lo, hi]), st.just(kind))
                        for kind, (lo, hi) in _INT_RANGES.items()))
_interesting_floats = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, 1.7976931348623157e308,
                                       LAST_VALUE, LAST_VALUE + 1.0, LAST_VALUE + 2.0])
_floats = (st.builds(ua.Variant, st.floats() | _interesting_floats, st.just(ua.VariantType.Double))
           | st.builds(ua.Variant, st.floats(width=32), st.just(ua.VariantType.Float)))
_numeric_text = (st.floats().map(repr) | st.integers().map(str)
                 | st.sampled_from(["37.5", " 38 ", "1e400", "NaN", "-Infinity", "0x1F", "37,5", "", "∞", "٣٧"]))
_opc_time = st.datetimes(min_value=datetime(1601, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
_zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
_any_time = _opc_time | st.builds(lambda t, z: t.replace(tzinfo=z), _opc_time, _zones)
_timestamps = st.none() | _any_time
_texts = st.text(max_size=30)
_scalars = st.one_of(
    st.just(ua.Variant(None)),
    st.builds(ua.Variant, st.booleans(), st.just(ua.VariantType.Boolean)),
    _integers, _floats,
    st.builds(ua.Variant, _numeric_text | _texts, st.just(ua.VariantType.String)),
    st.builds(ua.Variant, _any_time, st.just(ua.VariantType.DateTime)),
    st.builds(ua.Variant, st.uuids(), st.just(ua.VariantType.Guid)),
    st.builds(ua.Variant, st.binary(max_size=16), st.just(ua.VariantType.ByteString)),
    st.builds(ua.Variant, st.builds(ua.XmlElement, _texts), st.just(ua.VariantType.XmlElement)),
    st.builds(ua.Variant, st.builds(ua.NodeId, st.integers(0, 2**32 - 1) | _texts.filter(bool), st.integers(0, 9)),
              st.just(ua.VariantType.NodeId)),
    st.builds(ua.Variant, st.builds(ua.StatusCode, st.integers(0, 2**32 - 1)), st.just(ua.VariantType.StatusCode)),
    st.builds(ua.Variant, st.builds(ua.QualifiedName, _texts, st.integers(0, 9)),
              st.just(ua.VariantType.QualifiedName)),
    st.builds(ua.Variant, st.builds(ua.LocalizedText, st.none() | _texts), st.just(ua.VariantType.LocalizedText)),
)
_arrays = (st.builds(ua.Variant, st.lists(st.floats(), max_size=4), st.just(ua.VariantType.Double))
           | st.builds(ua.Variant, st.lists(_texts, max_size=3), st.just(ua.VariantType.String))
           | st.builds(lambda v: ua.Variant([[v, v], [v, v]], ua.VariantType.Double, cast(Any, [2, 2])), st.floats()))
variants = _scalars | _arrays
_codes = (st.sampled_from([0, 0x40000000, 0x80000000, StatusCodes.BadSensorFailure, StatusCodes.BadOutOfService,
                           StatusCodes.UncertainLastUsableValue, StatusCodes.GoodClamped, 0xDEADBEEF])
          | st.integers(0, 2**32 - 1))
status_codes = st.none() | st.builds(ua.StatusCode, _codes)


def data_value(value: ua.Variant | None, status: ua.StatusCode | None = None, source: datetime | None = None,
               server: datetime | None = None) -> ua.DataValue:
    """A DataValue as the subscription delivers it (asyncua types its timestamps as ua.DateTime)."""
    return ua.DataValue(value, StatusCode=status, SourceTimestamp=cast(Any, source), ServerTimestamp=cast(Any, server))


def node(identifier: str) -> ua.NodeId:
    return ua.NodeId.from_string(f"ns=2;s={identifier}")


data_values = st.builds(data_value, st.none() | variants, status_codes, _timestamps, _timestamps)


@dataclass
class Machinery:
    translator: Translator
    publisher: RecordingPublisher
    plant: Plant
    paths: dict[str, str]  # node id -> browse path, as the subscription handler resolves them


async def machinery() -> Machinery:
    """The translator on the fake DeltaV's plant, the shipped mappings and a recording pipeline."""
    fake = FakeDeltaV()
    config = DeltaVAdapterConfig(url=fake.url, security_policy="None", security_mode="None")
    registry = CollectorRegistry()
    metrics, adapter_metrics = DeltaVMetrics(registry), AdapterMetrics("deltav", registry)
    inbox = Inbox(100, metrics.dropped)
    supervisor = Supervisor(fake, inbox, config, adapter_metrics)
    pipeline, publisher = recording_pipeline("deltav", adapter_metrics)
    translator = Translator(pipeline, AdapterState(MemoryCursors()), supervisor,  # type: ignore[arg-type]
                            config, metrics, lambda: None)
    await supervisor._connect()
    while inbox.qsize():  # the first resync: the phase read
        await translator.handle(await inbox.get())
    # Stopped: a publish that raises is re-raised here instead of being retried forever (it would hang the test).
    stopped = asyncio.Event()
    stopped.set()
    translator._stop = stopped
    plant = translator.plant
    assert plant is not None
    translator.state.advance(PV_TAG, WATERMARK, LAST_VALUE)
    return Machinery(translator, publisher, plant, dict(plant.paths))


def _number(value: Any) -> float | None:
    """The finite number a value stands for, as the mapping reads it (JSON number or numeric text)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except (ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None


def _skip_allowed(s: Sample, deadband: float) -> bool:
    """The translator's documented reasons to publish nothing: already covered, or within the deadband."""
    covered = s.source_time is not None and WATERMARK - CLOCK_STEP < s.source_time <= WATERMARK
    number = s.value if isinstance(s.value, int | float) and not isinstance(s.value, bool) else None
    quiet = (number is not None and math.isfinite(number) and s.status == "Good"
             and abs(number - LAST_VALUE) <= deadband)
    return covered or quiet


@pytest.mark.requirement("P11-010")
@FUZZ
@given(dv=data_values)
# Found by this test: a naive SourceTimestamp was compared with the aware watermark (TypeError; the sample
# was dropped by the translator's catch-all without a dead letter).
@example(dv=data_value(ua.Variant(38.0), source=datetime(2026, 11, 22, 11, 0)))
# ...and a Guid value was not JSON-able (TypeError in records.encode, dropped the same way).
@example(dv=data_value(ua.Variant(uuid.UUID(int=7), ua.VariantType.Guid), source=WATERMARK + CLOCK_STEP))
# Kept as examples: a number as text is taken as that number (the mapping reads numbers from JSON text too,
# which is how records.py writes NaN and infinities); NaN, the largest UInt64 and a missing time.
@example(dv=data_value(ua.Variant("37.5"), source=WATERMARK + CLOCK_STEP))
@example(dv=data_value(ua.Variant(math.nan), source=WATERMARK + CLOCK_STEP))
@example(dv=data_value(ua.Variant(2**64 - 1, ua.VariantType.UInt64), source=WATERMARK + CLOCK_STEP))
@example(dv=data_value(ua.Variant(40.0), source=None))
async def test_a_data_change_becomes_one_event_or_one_dead_letter_with_a_reason(dv: ua.DataValue) -> None:
    m = await machinery()
    pv = m.plant.pvs[PV_TAG]
    node_id = next(n for n, path in m.paths.items() if path == pv.path)
    s = to_sample(m.paths[node_id], dv)
    assert s.source_time is None or s.source_time.utcoffset() is not None, "timestamps leave convert.py aware"

    published = await asyncio.wait_for(m.translator.sample(s, m.plant), 10)

    events, letters = m.publisher.events(), m.publisher.dead_letters()
    tally("skipped" if not published else "event" if events else "dead letter")
    if not published:
        assert not events and not letters
        assert _skip_allowed(s, pv.deadband(m.translator.config.deadband_percent)), s
        return
    assert len(events) + len(letters) == 1, (events, letters)
    if events:
        (event,) = events
        value = event["data"]["value"]
        assert event["type"] == "io.gxplink.evt.deltav.process_value_recorded.v1"
        assert _number(s.value) is not None and value["value"] == _number(s.value), (s.value, value)
        assert s.source_time is not None and datetime.fromisoformat(value["source_time"]) == s.source_time
        assert value["quality"] == {"Goo": "good", "Unc": "uncertain", "Bad": "bad"}[s.status[:3]]
    else:
        (letter,) = letters
        assert _number(s.value) is None or s.source_time is None, \
            f"a sample with a finite number and a time was refused: {letter.reason}"
        assert letter.reason.strip() and letter.headers["mapping"].startswith("deltav/process_value")
        assert "$node" in letter.reason or "value" in letter.reason or "time" in letter.reason, letter.reason
        assert f'"node":"{pv.path}"' in letter.payload


# --- events: phase state changes and limit alarms, their fields replaced by Variants of every kind ------------
_PHASE_FIELDS = {"EventId": ua.Variant(b"\x01\x02"), "EventType": ua.Variant(node("PhaseStateEventType")),
                 "Time": ua.Variant(WATERMARK), "Message": ua.Variant("BR-101 IDLE -> RUNNING"),
                 "Severity": ua.Variant(200, ua.VariantType.UInt16), "Unit": ua.Variant("BR-101"),
                 "BatchId": ua.Variant("CART-1"), "PhaseId": ua.Variant("PH-0501"), "FromState": ua.Variant("IDLE"),
                 "ToState": ua.Variant("RUNNING"), "Reason": ua.Variant(""), "ClientUserId": ua.Variant("op1")}
_ALARM_FIELDS = {"EventId": ua.Variant(b"\x03\x04"), "Time": ua.Variant(WATERMARK),
                 "Message": ua.Variant("BR-101/TIC-101 Temperature HI alarm"),
                 "Severity": ua.Variant(700, ua.VariantType.UInt16), "ActiveState/Id": ua.Variant(True),
                 "AckedState/Id": ua.Variant(False), "NodeId": ua.Variant(node("BR-101/TIC-101/PV_ALM")),
                 "InputNode": ua.Variant(node("BR-101/TIC-101/PV"))}


@st.composite
def event_fields(draw: st.DrawFn) -> tuple[str, dict[str, ua.Variant]]:
    """A phase or alarm event as the server selects it, with some fields dropped or replaced by any Variant."""
    kind, base = draw(st.sampled_from([("phase", _PHASE_FIELDS), ("alarm", _ALARM_FIELDS)]))
    fields = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True)):
        if draw(st.booleans()):
            del fields[name]
        else:
            fields[name] = draw(variants)
    return kind, fields


class Notes:
    """The sink the subscription handler hands converted notifications to."""

    def __init__(self) -> None:
        self.notes: list[EventNote] = []

    def data_change(self, sample: Sample) -> None:
        raise AssertionError("only events here")

    def event(self, note: EventNote) -> None:
        self.notes.append(note)

    def lost(self, reason: str) -> None:
        raise AssertionError(reason)


@FUZZ
@given(case=event_fields())
# The Guid the data-change test found, as an EventId (records.encode raised TypeError before convert.plain's fix).
@example(case=("alarm", {**_ALARM_FIELDS, "EventId": ua.Variant(uuid.UUID(int=1), ua.VariantType.Guid)}))
@example(case=("phase", {**_PHASE_FIELDS, "Time": ua.Variant(datetime(2026, 11, 22, 10, 0))}))
@example(case=("alarm", {**_ALARM_FIELDS, "ActiveState/Id": ua.Variant("yes")}))
async def test_an_event_becomes_one_event_or_one_dead_letter_with_a_reason(
        case: tuple[str, dict[str, ua.Variant]]) -> None:
    kind, fields = case
    m = await machinery()
    source = "ns=2;s=BR-101/Phase" if kind == "phase" else "ns=2;s=BR-101/TIC-101"
    if kind == "alarm":
        m.paths[source] = "DeltaV/CAM-CP/CP-1/BR-101/TIC-101"
    notes = Notes()
    event = SimpleNamespace(get_event_props_as_fields_dict=lambda: {
        "SourceNode": ua.Variant(ua.NodeId.from_string(source)), **fields})
    Handler(m.paths, notes).event_notification(event)
    (note,) = notes.notes
    before, read = len(m.publisher.messages), m.translator.state.phases.get("BR-101")

    await asyncio.wait_for(m.translator.handle(note), 10)

    events, letters = m.publisher.events(before), m.publisher.dead_letters(before)
    tally(f"{kind}: " + ("event" if events else "dead letter" if letters else "skipped"))
    assert len(events) + len(letters) <= 1, (events, letters)
    if letters:
        (letter,) = letters
        assert letter.reason.strip() and letter.headers["mapping"].startswith(f"deltav/{kind}")
    elif events:
        (published,) = events
        assert published["type"].startswith("io.gxplink.evt.deltav.")
        assert published["source"] and published["time"]
    else:  # skipped on purpose: nothing to report (no ToState, no ConditionId), the phase read reported it,
        # or a phase change outside a batch (mapping deltav/phase_state: skip_when no BatchId)
        to, batch = str(note.fields.get("ToState") or ""), note.fields.get("BatchId")
        reported = read is not None and read.from_read and (read.context.state, read.context.batch_id) == (
            to, str(batch or ""))
        unbatched = kind == "phase" and batch in (None, "")
        assert ("ToState" not in note.fields and "ConditionId" not in note.fields) or reported or unbatched, \
            note.fields
