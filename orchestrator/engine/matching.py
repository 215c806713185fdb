"""Declarative event matching: dotted paths into an envelope compared with values (or any of a list)."""

from __future__ import annotations

from typing import Any


def dig(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def matches(envelope: dict[str, Any], match: dict[str, Any]) -> bool:
    for path, wanted in match.items():
        value = dig(envelope, path)
        if isinstance(wanted, list | tuple | set):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True
