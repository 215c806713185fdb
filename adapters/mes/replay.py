"""Replaying dead-lettered MES input: audit entries go back to gxp.audit.mes, as when first read.

The framework's replay responder re-runs the raw bytes through an inbound pipeline with the catalog
choosing the mapping; this pipeline only adds where the events go, which for native audit entries is
the audit subject rather than the event subject of their canonical type.
"""

from __future__ import annotations

import json

from adapters.framework.inbound import Accepted, InboundPipeline, Rejected
from canonical_model import subjects


def is_audit_entry(raw: bytes) -> bool:
    """An item of GET /audit (action and record type, no feed `type`), as mapping mes/audit_entry matches."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return False
    return isinstance(doc, dict) and "action" in doc and "record_type" in doc and "type" not in doc


class MesReplayPipeline(InboundPipeline):
    async def accept(self, raw: bytes, *, origin: str, mapping: str | None = None, traceparent: str | None = None,
                     subject: str | None = None) -> Accepted | Rejected:
        if subject is None and is_audit_entry(raw):
            subject = subjects.audit_subject(self.system)
        return await super().accept(raw, origin=origin, mapping=mapping, traceparent=traceparent, subject=subject)
