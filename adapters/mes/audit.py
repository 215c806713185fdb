"""The MES's native audit trail (`GET /audit`) -> AuditRecorded on gxp.audit.mes.

One entry per changed field, each through mapping mes/audit_entry; its own persisted cursor (the
last entry `seq`), moved only after JetStream acknowledged the entries before it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from adapters.framework.follow import CursorFollower
from adapters.framework.inbound import InboundPipeline, Rejected
from adapters.mes.api import MesApi, Page
from canonical_model import subjects
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.mes.native_audit"
MAPPING = "mes/audit_entry"


class AuditFollower(CursorFollower):
    system, what = "mes", "audit trail"

    def __init__(self, client: MesApi, pipeline: InboundPipeline, cursors: CursorStore, *, initial: int = 0,
                 page_size: int = 200) -> None:
        super().__init__(cursors, CURSOR, initial, page_size, pipeline.metrics)
        self.client, self.pipeline = client, pipeline

    async def fetch(self, after: int, limit: int) -> Page:
        return await self.client.audit(after, limit)

    async def take(self, record: dict[str, Any]) -> None:
        outcome = await self.pipeline.accept(json.dumps(record).encode(), mapping=MAPPING,
                                             origin=f"{self.client.url}/audit (seq {record['seq']})",
                                             subject=subjects.audit_subject("mes"))
        if isinstance(outcome, Rejected):
            log.warning("mes audit entry %s dead-lettered: %s", record["seq"], outcome.reason)
