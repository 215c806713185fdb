"""Small helpers to read payload values by dotted path and to pick a record's main fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SCALARS = (str, int, float, bool)


def resolve(data: Any, path: str) -> Any:
    """The value at dotted `path` in nested dicts, or None when any step is missing."""
    value = data
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def main_fields(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Fields worth showing as the new values of a created record.

    Scalars, small value objects (a quantity: value and unit) and short lists of scalars; nested
    documents (a recipe, BOM lines) stay in the stored message, not in the change list.
    """
    for key, value in record.items():
        if value is not None and value != [] and value != {} and _small(value):
            yield key, value


def _small(value: Any) -> bool:
    if isinstance(value, SCALARS):
        return True
    if isinstance(value, dict):
        return len(value) <= 4 and all(isinstance(v, SCALARS) for v in value.values())
    return isinstance(value, list) and len(value) <= 20 and all(isinstance(v, SCALARS) for v in value)
