"""Building blocks: UTC datetimes, UCUM codes, identifiers, time windows, strictness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from canonical_model.base import Quantity, TimeWindow
from canonical_model.envelope import describe
from canonical_model.process_value import ProcessValue

pytestmark = pytest.mark.unit


def _pv(**overrides: object) -> ProcessValue:
    fields: dict[str, object] = {
        "tag": "BR-101/TIC-101/PV.CV",
        "equipment_id": "BR-101",
        "value": 37.0,
        "unit": "Cel",
        "quality": "good",
        "source_time": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    }
    return ProcessValue.model_validate({**fields, **overrides})


def test_naive_datetime_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        _pv(source_time=datetime(2026, 3, 2, 8, 0))
    assert describe(info.value) == (
        "source_time: Value error, must be timezone-aware (naive datetimes are ambiguous in an audit trail)"
    )


def test_naive_iso_string_is_rejected() -> None:
    with pytest.raises(ValidationError, match="source_time"):
        _pv(source_time="2026-03-02T08:00:00")


def test_non_utc_offset_is_normalised_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    pv = _pv(source_time=datetime(2026, 3, 2, 9, 0, tzinfo=cet))
    assert pv.source_time == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert pv.source_time.utcoffset() == timedelta(0)
    assert pv.model_dump_json().count('"2026-03-02T08:00:00Z"') == 1


def test_offset_string_is_normalised_to_utc() -> None:
    pv = _pv(source_time="2026-03-02T03:30:00-04:30")
    assert pv.source_time.isoformat() == "2026-03-02T08:00:00+00:00"


@pytest.mark.parametrize("unit", ["Cel", "[pH]", "%", "10*6/mL", "{copies}/{cell}", "[EU]/mL", "mg/(kg.d)"])
def test_valid_ucum_codes_are_accepted(unit: str) -> None:
    assert Quantity(value=1, unit=unit).unit == unit


@pytest.mark.parametrize(
    ("unit", "rule"),
    [
        ("deg C", "should match pattern"),
        ("°C", "should match pattern"),
        ("", "at least 1 character"),
        ("[pH", "unclosed '['"),
        ("mg/(kg.d", "unclosed '('"),
        ("(a]", "unbalanced ']'"),
        ("[a[b]]", "cannot nest"),
    ],
)
def test_invalid_ucum_code_is_rejected_naming_field_and_rule(unit: str, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        Quantity(value=1, unit=unit)
    assert describe(info.value).startswith("unit: ")
    assert rule in describe(info.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_quantity_rejects_nan_and_infinity(value: float) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        Quantity(value=value, unit="mL")


def test_models_are_frozen_and_reject_unknown_fields() -> None:
    pv = _pv()
    with pytest.raises(ValidationError, match="frozen"):
        pv.value = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError) as info:
        _pv(colour="blue")
    assert describe(info.value) == "colour: Extra inputs are not permitted"


@pytest.mark.parametrize("equipment_id", ["", " BR-101", "BR-101 "])
def test_identifier_rejects_empty_and_padded_values(equipment_id: str) -> None:
    with pytest.raises(ValidationError, match="equipment_id"):
        _pv(equipment_id=equipment_id)


def test_time_window_rejects_end_before_start(t0: datetime) -> None:
    assert TimeWindow(start=t0, end=t0).start == t0
    with pytest.raises(ValidationError, match="end: must not be before start"):
        TimeWindow(start=t0, end=t0 - timedelta(seconds=1))
