"""The CloudEvents envelope: wrapping, round trips and precise rejection of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from canonical_model.envelope import Envelope, EnvelopeError, envelope_type
from canonical_model.events.deltav import ProcessValueRecorded
from canonical_model.events.lims import TestResultCorrected, TestResultRecorded
from canonical_model.ids import deterministic_id
from canonical_model.process_value import ProcessValue
from canonical_model.registry import parse

pytestmark = pytest.mark.unit


def _recorded(t0: datetime) -> ProcessValueRecorded:
    value = ProcessValue(
        tag="BR-101/AIC-102/PV.CV", equipment_id="BR-101", value=7.21, unit="[pH]", quality="good", source_time=t0
    )
    return ProcessValueRecorded(value=value, batch_id="CART-2026-0001")


def test_wrap_derives_type_schema_and_subject_from_the_class(t0: datetime) -> None:
    env = Envelope.wrap(
        _recorded(t0), source="/gxplink/adapters/deltav", actor="service:adapter-deltav", sourcesystem="deltav"
    )
    assert env.type == "io.gxplink.evt.deltav.process_value_recorded.v1"
    assert env.dataschema == "https://schemas.gxplink.io/evt/deltav/process_value_recorded/v1.json"
    assert env.nats_subject == "gxp.evt.deltav.process_value_recorded"
    assert env.time.tzinfo is UTC


def test_envelope_round_trips_through_json(t0: datetime) -> None:
    env = Envelope.wrap(
        _recorded(t0),
        id=deterministic_id("deltav", "BR-101/AIC-102", t0.isoformat()),
        time=t0,
        source="/gxplink/adapters/deltav",
        actor="service:adapter-deltav",
        sourcesystem="deltav",
        correlationid="CART-2026-0001",
    )
    raw = env.to_json()
    assert "null" not in raw.decode()  # absent optional attributes are omitted, not sent as null
    back = parse(raw)
    assert back == env
    assert back.data == env.data


def test_type_must_match_the_payload_class(result_recorded_doc: dict[str, Any]) -> None:
    doc = {**result_recorded_doc, "type": "io.gxplink.evt.lims.test_result_corrected.v1"}
    with pytest.raises(ValidationError, match=r"type: must be 'io.gxplink.evt.lims.test_result_recorded.v1'"):
        envelope_type(TestResultRecorded).model_validate(doc)


def test_unknown_ce_type_is_rejected(result_recorded_doc: dict[str, Any]) -> None:
    doc = {**result_recorded_doc, "type": "io.gxplink.evt.lims.test_result_recorded.v9"}
    with pytest.raises(EnvelopeError, match=r"^type: unknown canonical message type 'io\.gxplink.*\.v9'$"):
        parse(doc)


@pytest.mark.requirement("FRS-003")
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "<root>: not JSON"),
        ("[1, 2]", "<root>: an envelope must be a JSON object"),
        (b"{}", "type: unknown canonical message type None"),
    ],
)
def test_malformed_input_is_rejected_precisely(raw: bytes | str, message: str) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse(raw)
    assert str(info.value).startswith(message)


@pytest.mark.requirement("FRS-003")
def test_invalid_payload_error_names_the_field_and_the_rule(result_recorded_doc: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(result_recorded_doc))
    del doc["data"]["result"]["unit"]
    doc["data"]["result"]["observed_at"] = "2026-03-12T08:00:00"
    with pytest.raises(EnvelopeError) as info:
        parse(doc)
    assert str(info.value) == (
        "data.result.observed_at: Value error, must be timezone-aware (naive datetimes are ambiguous in an audit trail)"
    )
    doc["data"]["result"]["observed_at"] = "2026-03-12T08:00:00Z"
    with pytest.raises(EnvelopeError) as info:
        parse(doc)
    assert str(info.value) == "data.result: Value error, unit: required when value is numeric"


def test_event_specific_rule_is_reported(result_recorded_doc: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(result_recorded_doc))
    doc["data"]["result"].update(
        status="corrected", corrects_result_id="R-2026-118200", correction_reason="Transcription error"
    )
    with pytest.raises(EnvelopeError, match=r"result.status: a corrected result travels as TestResultCorrected"):
        parse(doc)
    doc["type"] = TestResultCorrected.ce_type()
    assert isinstance(parse(doc).data, TestResultCorrected)


@pytest.mark.parametrize("actor", ["user:mhuber", "service:adapter-erp", "user:mhuber;service:gxplink-orchestrator"])
def test_actor_forms_accepted(actor: str, result_recorded_doc: dict[str, Any]) -> None:
    assert parse({**result_recorded_doc, "actor": actor}).actor == actor


@pytest.mark.parametrize("actor", ["mhuber", "user:", "service:a;user:b", "user:m huber"])
def test_actor_forms_rejected(actor: str, result_recorded_doc: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeError, match=r"^actor: String should match pattern"):
        parse({**result_recorded_doc, "actor": actor})
