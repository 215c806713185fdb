"""From a JetStream message to an audit draft, for each of the four streams the writer reads.

Events, commands and native audit entries must be canonical envelopes: anything else is a
`PermanentError`, so the consumer dead-letters it and it comes back through GXP_DLQ, where it is
recorded as a dead letter. Dead letters themselves are always recorded, whatever their shape,
so nothing that reached gxplink escapes the trail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from nats.aio.msg import Msg
from pydantic import ValidationError

from canonical_model import registry
from canonical_model.base import SYSTEMS
from canonical_model.envelope import Envelope, EnvelopeError, describe, envelope_type
from canonical_model.ids import deterministic_id
from canonical_model.messages import Message
from messaging.dead_letters import DeadLetter
from messaging.errors import PermanentError
from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import utc_text
from orchestrator.audit.derive import from_envelope
from orchestrator.audit.draft import Change, Draft


def stored_at(msg: Msg) -> datetime:
    """When JetStream stored the message: gxplink's receive time when the envelope does not say."""
    try:
        stamp = msg.metadata.timestamp
    except Exception:  # a core NATS message (tests) has no JetStream metadata
        stamp = None
    return stamp.astimezone(UTC) if isinstance(stamp, datetime) and stamp.tzinfo else datetime.now(UTC)


@cache
def _envelope_class(ce_type: str) -> type[Envelope[Message]]:
    # pydantic keeps parametrised generics only weakly: without this strong reference every parse
    # rebuilds Envelope[T] (milliseconds per message), which would dominate a catch-up.
    return envelope_type(registry.lookup(ce_type))


def parse(raw: bytes | str) -> Envelope[Message]:
    """`canonical_model.registry.parse`, with the envelope class of each type built once."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise EnvelopeError(f"<root>: not JSON ({exc})") from exc
    ce_type = doc.get("type") if isinstance(doc, dict) else None
    if not isinstance(ce_type, str):
        raise EnvelopeError("type: missing (an envelope must be a JSON object with a type)")
    try:
        return _envelope_class(ce_type).model_validate(doc)
    except ValidationError as exc:
        raise EnvelopeError(describe(exc)) from exc


def envelope_draft(msg: Msg) -> Draft:
    try:
        envelope = parse(msg.data)
    except EnvelopeError as exc:
        raise PermanentError(f"not a canonical envelope, cannot be audited: {exc}") from exc
    return from_envelope(envelope, subject=msg.subject, received=stored_at(msg))


def dead_letter_draft(msg: Msg) -> Draft:
    """A dead letter as a record of what could not be processed and why (never raises)."""
    received = utc_text(stored_at(msg))
    try:
        letter = DeadLetter.model_validate_json(msg.data)
    except ValidationError as exc:
        ident = (msg.headers or {}).get("Nats-Msg-Id") or deterministic_id("dlq", msg.subject, msg.data.hex())
        return Draft(record_id=ident, kind="dead_letter", source_system="gxplink", action="dead_lettered",
                     record_type="message", record_ref=ident, source_time=received, received_time=received,
                     subject=msg.subject, reason=f"unreadable dead letter: {exc.errors()[0]['msg']}",
                     content={"raw": msg.data.decode("utf-8", errors="replace")}, entities=[["message", ident]])
    original = _json(letter.raw())
    data = original.get("data") if isinstance(original.get("data"), dict) else original
    found = ent.collect(data)
    message_id = original.get("id") if isinstance(original.get("id"), str) else None
    if isinstance(original.get("correlationid"), str):
        found.add(("correlation", original["correlationid"]))
    return Draft(
        record_id=letter.id, kind="dead_letter",
        source_system=letter.origin if letter.origin in SYSTEMS else "gxplink", action="dead_lettered",
        record_type="message", record_ref=message_id or letter.id, source_time=utc_text(letter.received_at),
        received_time=received, message_type=original.get("type") if isinstance(original.get("type"), str) else None,
        subject=letter.subject or msg.subject, actor=original.get("actor") if isinstance(original.get("actor"), str)
        else None, service_id=f"gxplink-{letter.origin}", reason=letter.reason, adapter=letter.source,
        correlation_id=original.get("correlationid") if isinstance(original.get("correlationid"), str) else None,
        changes=[Change("deliveries", None, letter.deliveries)] if letter.deliveries else [],
        entities=ent.encode(found | {("message", message_id or letter.id)}),
        content=letter.model_dump(mode="json"),
    )


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
