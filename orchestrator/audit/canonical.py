"""The one canonical serialization the hash chain is computed over.

Sorted-key compact JSON of plain values (str, int, float, bool, None, lists, dicts): the same row
gives the same bytes on SQLite and PostgreSQL, today and in ten years, so a hash computed at
write time can be recomputed by `gxplink audit verify` from what the database returns.
Times are fixed-width ISO 8601 UTC strings, so that text order is time order in both databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The previous hash of the first record."""


def canonical_json(value: Any) -> str:
    """Sorted-key compact JSON; NaN and infinities are refused (they have no JSON form)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def row_hash(row: Mapping[str, Any]) -> str:
    """sha256 hex of every column of `row` except `hash` itself (prev_hash and seq included)."""
    body = {key: value for key, value in row.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def utc_text(value: datetime) -> str:
    """`2026-03-08T14:00:00.000000Z`: always microseconds, so text comparison orders by time."""
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """Inverse of `utc_text`; also accepts any ISO 8601 form (a date alone means midnight UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now_text() -> str:
    return utc_text(datetime.now(UTC))
