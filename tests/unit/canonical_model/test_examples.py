"""The committed example envelopes are the v1 contract: they must keep validating.

When a v2 of a message appears, its v1 examples are checked against the *current* (latest) model
and JSON Schema of the same message name, so a breaking change fails here before it ships.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from canonical_model.envelope import envelope_type
from canonical_model.example_docs import example_files, example_versions, load_example
from canonical_model.registry import latest_types, message_types, parse, type_family, types_by_ce_type
from canonical_model.schema import json_schemas, schema_file_name

pytestmark = pytest.mark.unit

EXAMPLES = [(v, ce_type) for v in example_versions() for ce_type in example_files(v)]
IDS = [f"v{v}:{ce_type}" for v, ce_type in EXAMPLES]


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return json_schemas()


@cache
def _validator(file_name: str) -> Draft202012Validator:
    return Draft202012Validator(_schemas()[file_name], format_checker=Draft202012Validator.FORMAT_CHECKER)


def _as_current(doc: dict[str, Any], ce_type: str) -> tuple[type[Any], dict[str, Any]]:
    """The latest class of the example's message name, and the example re-addressed to it.

    Only the routing metadata names a version; the content of an old document must still be accepted.
    """
    current = latest_types().get(type_family(ce_type))
    assert current is not None, f"{ce_type}: message was removed, old documents can no longer be read"
    return current, {**doc, "type": current.ce_type(), "dataschema": current.schema_id()}


def test_there_are_v1_examples_for_every_registered_v1_type() -> None:
    registered_v1 = {cls.ce_type() for cls in message_types() if cls.VERSION == 1}
    assert set(example_files(1)) == registered_v1


@pytest.mark.requirement("FRS-003")
def test_every_registered_type_has_an_example_at_its_version() -> None:
    missing = [
        cls.ce_type() for cls in message_types() if cls.ce_type() not in example_files(cls.VERSION)
    ]
    assert missing == []


@pytest.mark.requirement("FRS-003")
@pytest.mark.parametrize(("version", "ce_type"), EXAMPLES, ids=IDS)
def test_example_validates_with_current_model(version: int, ce_type: str) -> None:
    current, doc = _as_current(load_example(version, ce_type), ce_type)
    envelope = envelope_type(current).model_validate(doc)
    assert envelope.type == current.ce_type()
    assert isinstance(envelope.data, current)


@pytest.mark.requirement("FRS-003")
@pytest.mark.parametrize(("version", "ce_type"), EXAMPLES, ids=IDS)
def test_example_validates_with_current_json_schema(version: int, ce_type: str) -> None:
    current, doc = _as_current(load_example(version, ce_type), ce_type)
    errors = [e.message for e in _validator(schema_file_name(current)).iter_errors(doc)]
    assert errors == []


@pytest.mark.parametrize(("version", "ce_type"), EXAMPLES, ids=IDS)
def test_example_parses_under_its_own_type_and_round_trips(version: int, ce_type: str) -> None:
    if ce_type not in types_by_ce_type():
        pytest.skip(f"{ce_type} is superseded; covered by the current-schema tests")
    doc = load_example(version, ce_type)
    envelope = parse(doc)
    assert envelope.id == doc["id"]
    assert type(envelope.data).ce_type() == ce_type
    again = parse(envelope.to_json())
    assert again == envelope
    assert again.model_dump(mode="json", exclude_none=True) == doc


def test_json_schema_rejects_an_example_sent_with_another_type() -> None:
    doc = load_example(1, "io.gxplink.evt.lims.test_result_recorded.v1")
    wrong = {**doc, "type": "io.gxplink.evt.lims.test_result_corrected.v1"}
    errors = list(_validator("io.gxplink.evt.lims.test_result_recorded.v1.schema.json").iter_errors(wrong))
    assert [e.validator for e in errors] == ["const"]


def test_json_schema_rejects_unknown_data_field() -> None:
    doc = load_example(1, "io.gxplink.evt.deltav.process_value_recorded.v1")
    doc["data"]["value"]["colour"] = "blue"
    errors = list(_validator("io.gxplink.evt.deltav.process_value_recorded.v1.schema.json").iter_errors(doc))
    assert [e.validator for e in errors] == ["additionalProperties"]
