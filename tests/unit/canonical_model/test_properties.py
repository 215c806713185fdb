"""Property-based tests: invariants that must hold for any valid input, not only for the examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from canonical_model.batch_state import BatchState, InvalidBatchTransition, can_transition, transition
from canonical_model.envelope import Envelope
from canonical_model.events.deltav import ProcessValueRecorded
from canonical_model.process_value import ProcessValue
from canonical_model.registry import parse

pytestmark = pytest.mark.unit

offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14)).map(
        lambda d: timedelta(minutes=round(d.total_seconds() / 60))
    )
)
aware_times = st.datetimes(
    min_value=datetime(1990, 1, 2), max_value=datetime(2100, 1, 1), timezones=offsets
)
process_values = st.builds(
    ProcessValue,
    tag=st.from_regex(r"[A-Z]{2}-[0-9]{3}/[A-Z]{3}-[0-9]{3}/(PV|SP)\.CV", fullmatch=True),
    equipment_id=st.from_regex(r"[A-Z]{2}-[0-9]{3}", fullmatch=True),
    value=st.floats(allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["Cel", "[pH]", "%", "mL/min", "10*6/mL", "{cells}/uL", "kPa"]),
    quality=st.sampled_from(["good", "uncertain", "bad"]),
    source_time=aware_times,
)


@given(process_values)
def test_any_process_value_round_trips_through_json(pv: ProcessValue) -> None:
    back = ProcessValue.model_validate_json(pv.model_dump_json())
    assert back == pv
    assert back.source_time.utcoffset() == timedelta(0)


@given(process_values, aware_times)
def test_any_recorded_value_round_trips_as_an_envelope(pv: ProcessValue, time: datetime) -> None:
    env = Envelope.wrap(
        ProcessValueRecorded(value=pv), time=time, source="/gxplink/adapters/deltav",
        actor="service:adapter-deltav", sourcesystem="deltav",
    )
    assert parse(env.to_json()) == env


@given(aware_times)
def test_aware_times_keep_their_instant_and_become_utc(when: datetime) -> None:
    pv = ProcessValue(tag="T", equipment_id="BR-101", value=1, unit="Cel", quality="good", source_time=when)
    assert pv.source_time == when
    assert pv.source_time.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1990, 1, 2)))
def test_any_naive_time_is_rejected(when: datetime) -> None:
    with pytest.raises(ValidationError, match="source_time"):
        ProcessValue(tag="T", equipment_id="BR-101", value=1, unit="Cel", quality="good", source_time=when)


@given(st.sampled_from(BatchState), st.sampled_from(BatchState))
def test_transition_agrees_with_can_transition(current: BatchState, target: BatchState) -> None:
    if can_transition(current, target):
        assert transition(current, target) is target
    else:
        with pytest.raises(InvalidBatchTransition):
            transition(current, target)
