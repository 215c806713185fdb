"""Canonical envelopes for audit tests, made from the committed v1 examples for a batch of our choice.

Every example mentions batch CART-2026-0001 (and its lot, samples and signatures by derived ids);
replacing that text gives a consistent set of messages for another batch, each with a fresh id.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from canonical_model.envelope import Envelope
from canonical_model.example_docs import example_files, load_example
from canonical_model.messages import Message
from orchestrator.audit.derive import from_envelope
from orchestrator.audit.draft import Draft
from orchestrator.audit.ingest import parse

EXAMPLE_BATCH = "CART-2026-0001"
FAMILIES = sorted(t.removesuffix(".v1") for t in example_files(1))


def example(family: str, batch: str, **envelope: Any) -> dict[str, Any]:
    """The v1 example of `family` for `batch`, with a fresh id (override any envelope attribute)."""
    doc = json.loads(json.dumps(load_example(1, f"{family}.v1")).replace(EXAMPLE_BATCH, batch))
    doc["id"] = str(uuid.uuid4())
    doc.update(envelope)
    return dict(doc)


def envelope(family: str, batch: str, **overrides: Any) -> Envelope[Message]:
    return parse(json.dumps(example(family, batch, **overrides)))


def draft(family: str, batch: str, **overrides: Any) -> Draft:
    return from_envelope(envelope(family, batch, **overrides), subject=None, received=datetime.now(UTC))


def batch_drafts(batch: str) -> list[Draft]:
    """One draft per example type, all about `batch`."""
    return [draft(family, batch) for family in FAMILIES]
