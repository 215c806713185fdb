"""Every console action is an audit record: published as AuditRecorded on `gxp.audit.console`, so
the audit writer chains it with everything else (who, what, when, why, old and new value)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from canonical_model import subjects
from canonical_model.audit import AuditCorrelation, AuditRecord, FieldChange
from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import AuditRecorded
from canonical_model.ids import new_id
from messaging.publisher import Publisher, headers_for
from orchestrator.engine.accounts import USER_ID

log = logging.getLogger(__name__)
SERVICE = "console"
SUBJECT = subjects.audit_subject(SERVICE)


def printable(typed: str, limit: int = 200) -> str:
    """What someone typed, as an identifier can hold it: one line, no surrounding blanks, at most `limit`."""
    return " ".join(typed.split())[:limit].strip() or "?"


class ConsoleAudit:
    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    async def record(self, *, user_id: str | None, action: str, target_type: str, target_id: str,
                     typed_user: str | None = None, reason: str | None = None,
                     changes: dict[str, tuple[Any, Any]] | None = None, correlation: dict[str, str] | None = None,
                     ) -> str:
        """Publish one action; returns its record id. `typed_user` is what someone typed as user id when
        it named no known user (a failed login), kept as the source user, never as a user id."""
        if user_id is not None and not USER_ID.match(user_id):  # not an id anyone can have: keep it as typed
            user_id, typed_user = None, typed_user or user_id
        now = datetime.now(UTC)
        record = AuditRecord(
            record_id=new_id(), user_id=user_id, service_id=SERVICE,
            source_user=printable(typed_user) if typed_user else None,
            source_time=now, received_time=now, action=action, target_type=target_type, target_id=printable(target_id),
            changes=tuple(FieldChange(field=k, old=old, new=new) for k, (old, new) in (changes or {}).items()),
            reason=reason or None, source_system="gxplink", adapter=SERVICE,
            correlation=AuditCorrelation(**(correlation or {})))
        actor = f"user:{user_id};service:{SERVICE}" if user_id else f"service:{SERVICE}"
        corr = correlation or {}
        envelope = Envelope.wrap(AuditRecorded(record=record), id=record.record_id, source="/gxplink/console",
                                 actor=actor, sourcesystem="gxplink", subject=f"{target_type}/{record.target_id}"[:200],
                                 correlationid=corr.get("batch_id") or corr.get("lot_id") or corr.get("sample_id"))
        await self.publisher.publish_bytes(SUBJECT, envelope.to_json(), headers_for(envelope))
        return record.record_id
