"""Replaying dead-lettered ERP input: a feed record gets the enrichment its dead letter may lack.

A record dead-lettered because its production order could not be found carries no enrichment; once
the ERP has the order, `gxplink dlq replay` must translate it with the order, like live traffic. A
change document goes back on gxp.audit.erp, where live ones travel.
"""

from __future__ import annotations

import json
import logging

from adapters.erp.api import Record
from adapters.erp.enrich import Enricher
from adapters.framework.inbound import Accepted, InboundPipeline, Rejected
from canonical_model import subjects
from messaging.errors import RetryableError

log = logging.getLogger(__name__)


class ReplayPipeline(InboundPipeline):
    def __init__(self, live: InboundPipeline, enricher: Enricher) -> None:
        super().__init__(live.system, live.publisher, live.catalog, live.metrics)
        self.enricher = enricher

    async def accept(self, raw: bytes, *, origin: str, mapping: str | None = None, traceparent: str | None = None,
                     subject: str | None = None) -> Accepted | Rejected:
        record = _record(raw)
        if record is not None and "record_type" in record and subject is None:
            subject = subjects.audit_subject(self.system)
        elif record is not None and "object_type" in record and mapping is None:
            try:
                raw = json.dumps(await self.enricher.enrich(record)).encode()
            except RetryableError as exc:  # translated as it is: the dead letter says what is missing
                log.warning("erp: replaying %s without enrichment: %s", origin, exc)
        return await super().accept(raw, origin=origin, mapping=mapping, traceparent=traceparent, subject=subject)


def _record(raw: bytes) -> Record | None:
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None
