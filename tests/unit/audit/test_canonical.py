"""The canonical serialization the chain hashes: stable bytes for the same row, whatever the key order."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orchestrator.audit.canonical import canonical_json, parse_utc, row_hash, utc_text

pytestmark = pytest.mark.unit


def test_keys_are_sorted_and_separators_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": None, "c": "é"}]}) == '{"a":[1,{"c":"é","d":null}],"b":1}'


def test_the_hash_ignores_key_order_and_the_hash_column_but_not_seq_or_prev_hash() -> None:
    row = {"seq": 1, "prev_hash": "0" * 64, "action": "released"}
    same = {"action": "released", "prev_hash": "0" * 64, "seq": 1, "hash": "anything"}
    assert row_hash(row) == row_hash(same)
    assert row_hash(row) != row_hash({**row, "seq": 2})
    assert row_hash(row) != row_hash({**row, "prev_hash": "1" * 64})


def test_nan_has_no_canonical_form() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_times_are_fixed_width_utc_so_text_order_is_time_order() -> None:
    cet = timezone(timedelta(hours=1))
    early, late = datetime(2026, 3, 8, 15, 0, tzinfo=cet), datetime(2026, 3, 8, 14, 0, 0, 1, tzinfo=UTC)
    assert utc_text(early) == "2026-03-08T14:00:00.000000Z"
    assert utc_text(early) < utc_text(late)
    assert parse_utc(utc_text(late)) == late
    assert parse_utc("2026-03-08") == datetime(2026, 3, 8, tzinfo=UTC)
    with pytest.raises(ValueError):
        utc_text(datetime(2026, 3, 8))
