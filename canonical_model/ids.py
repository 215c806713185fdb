"""Deterministic identifiers.

An adapter that re-reads the same source record must produce the same message id, so that
JetStream's duplicate window (and the audit store) drop the repeat instead of storing it twice.
"""

from __future__ import annotations

import uuid

GXPLINK_NAMESPACE = uuid.UUID("6f1c0b3e-5d0e-4d8a-9a57-2f3c1c9e7a10")


def deterministic_id(*parts: str) -> str:
    """A UUIDv5 from the identity of a source record (system, record type, key, revision...)."""
    if not parts or any(not p for p in parts):
        raise ValueError("deterministic_id needs non-empty parts")
    return str(uuid.uuid5(GXPLINK_NAMESPACE, "\x1f".join(parts)))


def new_id() -> str:
    return str(uuid.uuid4())
