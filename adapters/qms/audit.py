"""The QMS's native audit trail (GetAuditEntries) -> AuditRecorded on gxp.audit.qms.

One entry per changed field, each through mapping qms/audit_entry; its own persisted cursor (the last
entry `seq`), moved only after JetStream acknowledged the entries before it.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.framework.follow import CursorFollower
from adapters.framework.inbound import InboundPipeline, Rejected
from adapters.qms.api import Page, QmsApi
from adapters.qms.feed import serialise
from canonical_model import subjects
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.qms.native_audit"
MAPPING = "qms/audit_entry"


class AuditFollower(CursorFollower):
    system, what, seq = "qms", "audit trail", "seq"

    def __init__(self, client: QmsApi, pipeline: InboundPipeline, cursors: CursorStore, *, initial: int = 0,
                 page_size: int = 200) -> None:
        super().__init__(cursors, CURSOR, initial, page_size, pipeline.metrics)
        self.client, self.pipeline = client, pipeline

    async def fetch(self, after: int, limit: int) -> Page:
        entries, _ = await self.client.audit(after, limit)
        return Page(entries, len(entries) >= limit)

    async def take(self, record: dict[str, Any]) -> None:
        outcome = await self.pipeline.accept(serialise(record), mapping=MAPPING,
                                             origin=f"{self.client.url} GetAuditEntries (seq {record['seq']})",
                                             subject=subjects.audit_subject("qms"))
        if isinstance(outcome, Rejected):
            log.warning("qms audit entry %s dead-lettered: %s", record["seq"], outcome.reason)
