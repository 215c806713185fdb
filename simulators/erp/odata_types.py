"""OData primitive types of the ERP's properties, the lexer, and the comparable form of stored values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, Literal

FieldType = Literal["string", "number", "boolean", "date", "datetime"]
Schema = dict[str, FieldType]
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
   |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
   |(?P<date>\d{4}-\d{2}-\d{2})
   |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
   |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
   |(?P<punct>[(),])
   )""", re.VERBOSE)


class ODataError(ValueError):
    """The expression cannot be parsed or does not fit the entity type (HTTP 400)."""


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if not text[pos:].strip():
                break
            raise ODataError(f"unexpected character {text[pos]!r} at position {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _as_datetime(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return value if isinstance(value, date) else None


def coerce(kind: FieldType, value: Any) -> Any:
    """A stored value in the comparable form of its property type (None when absent or unreadable)."""
    if value is None:
        return None
    if kind == "datetime":
        return _as_datetime(value)
    if kind == "date":
        return _as_date(value)
    if kind == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)
