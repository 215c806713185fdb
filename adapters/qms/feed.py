"""The QMS change feed (ListChangesSince) -> canonical QMS events.

Each change is serialised as zeep serialises it (JSON, ISO-like datetimes) and handed to the mapping of
its (record type, action). A CAPA `link` change is first enriched with the record it linked (`enrichment.
link`, links.py). Changes without a canonical event (mappings/qms/README.md) are skipped on purpose and
counted in `gxplink_qms_feed_skipped_total`; they are not errors, and the QMS audit trail still carries
them. A combination nobody knows goes through mapping selection and, matching none, is dead-lettered.

The record-type filter of ListChangesSince is never used (the QMS ignores it for deviations): every
change is read, so the one cursor covers all four record kinds.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from adapters.framework.follow import CursorFollower
from adapters.framework.inbound import InboundPipeline, Rejected
from adapters.framework.metrics import AdapterMetrics
from adapters.qms.api import Page, QmsApi
from adapters.qms.links import linked_record
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.qms.change_feed"
MAPPINGS = {
    ("deviation", "create"): "qms/deviation_opened", ("deviation", "import"): "qms/deviation_opened",
    ("deviation", "change_status"): "qms/deviation_status_changed",
    ("investigation", "create"): "qms/investigation_opened", ("investigation", "import"): "qms/investigation_opened",
    ("capa", "create"): "qms/capa_opened", ("capa", "import"): "qms/capa_opened",
    ("capa", "change_status"): "qms/capa_status_changed", ("capa", "link"): "qms/capa_linked",
    ("change_control", "create"): "qms/change_control_opened",
    ("change_control", "import"): "qms/change_control_opened",
    ("change_control", "change_status"): "qms/change_control_status_changed",
}
SKIPPED = frozenset({
    ("investigation", "update"), ("investigation", "change_status"),  # root cause; investigation lifecycle
    ("capa", "update"), ("change_control", "update"),  # effectiveness result; impact assessment
    ("deviation", "link"), ("change_control", "link"),  # the other half of a link: reported from the CAPA's side
})

_SKIPPED: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def skipped_counter(metrics: AdapterMetrics) -> Counter:
    """One counter per metrics registry (an adapter rebuilt on the same ports reuses it)."""
    if metrics.registry not in _SKIPPED:
        _SKIPPED[metrics.registry] = Counter("gxplink_qms_feed_skipped_total",
                                             "QMS changes without a canonical event, by record type and action",
                                             ["system", "kind"], registry=metrics.registry)
    return _SKIPPED[metrics.registry]


def serialise(change: dict[str, Any]) -> bytes:
    """What the mappings read: zeep's serialisation as JSON, datetimes as str() gives them."""
    return json.dumps(change, default=str).encode()


class ChangeFollower(CursorFollower):
    system, what, seq = "qms", "change feed", "changeSeq"

    def __init__(self, client: QmsApi, pipeline: InboundPipeline, cursors: CursorStore, *, initial: int = 0,
                 page_size: int = 200) -> None:
        super().__init__(cursors, CURSOR, initial, page_size, pipeline.metrics)
        self.client, self.pipeline = client, pipeline
        self.skipped = skipped_counter(pipeline.metrics)

    async def fetch(self, after: int, limit: int) -> Page:
        return await self.client.changes(after, limit)

    async def take(self, record: dict[str, Any]) -> None:
        kind = (str(record.get("recordType")), str(record.get("action")))
        if kind in SKIPPED:
            self.skipped.labels("qms", ".".join(kind)).inc()
            return
        document = dict(record)
        if kind == ("capa", "link"):
            link = await linked_record(self.client, record)
            if link is not None:
                document["enrichment"] = {"link": link}
        origin = f"{self.client.url} ListChangesSince (changeSeq {record['changeSeq']})"
        outcome = await self.pipeline.accept(serialise(document), origin=origin, mapping=MAPPINGS.get(kind))
        if isinstance(outcome, Rejected):
            log.warning("qms change %s (%s %s) dead-lettered: %s", record["changeSeq"], *kind, outcome.reason)
