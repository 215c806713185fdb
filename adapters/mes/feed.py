"""The MES change feed (`GET /events`) -> canonical MES events.

Each record kind has its mapping. `batch_created` is enriched first with the batch record (the feed
lacks the master batch record version and the planned quantity), as `{"event": ..., "batch": ...}`,
and preceded by the master batch record the batch executes (MasterRecipeApproved, stored once per
version), so that the recipe ranges are known before the batch's first process value arrives.
Kinds that have no canonical event (step starts, parameter values, lot status, QC summaries and
external references, which gxplink itself writes) are skipped on purpose and counted in
`gxplink_mes_feed_skipped_total`; they are not errors. A kind nobody knows is dead-lettered.
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
from adapters.mes.api import MesApi, MesProblem, Page
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.mes.change_feed"
RECIPE_MAPPING = "mes/master_recipe_approved"
MAPPINGS = {
    "batch_created": "mes/batch_created",
    "batch_state_changed": "mes/batch_state_changed",
    "step_completed": "mes/step_completed",
    "material_consumed": "mes/material_consumed",
    "sample_pulled": "mes/sample_pulled",
    "step_signed_off": "mes/step_signed_off",
}
SKIPPED = frozenset({"step_started", "parameter_recorded", "lot_status_changed", "qc_summary_recorded",
                     "external_reference_attached"})


_SKIPPED: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def skipped_counter(metrics: AdapterMetrics) -> Counter:
    """One counter per metrics registry (an adapter rebuilt on the same ports reuses it)."""
    if metrics.registry not in _SKIPPED:
        _SKIPPED[metrics.registry] = Counter("gxplink_mes_feed_skipped_total",
                                             "MES change-feed records without a canonical event, by kind",
                                             ["system", "kind"], registry=metrics.registry)
    return _SKIPPED[metrics.registry]


class FeedFollower(CursorFollower):
    system, what = "mes", "change feed"

    def __init__(self, client: MesApi, pipeline: InboundPipeline, cursors: CursorStore, *, initial: int = 0,
                 page_size: int = 200) -> None:
        super().__init__(cursors, CURSOR, initial, page_size, pipeline.metrics)
        self.client, self.pipeline = client, pipeline
        self.skipped = skipped_counter(pipeline.metrics)

    async def fetch(self, after: int, limit: int) -> Page:
        return await self.client.events(after, limit)

    async def take(self, record: dict[str, Any]) -> None:
        kind = str(record.get("type"))
        if kind in SKIPPED:
            self.skipped.labels("mes", kind).inc()
            return
        document: dict[str, Any] = record
        if kind == "batch_created":
            batch = await self._batch(record)
            await self._recipe(record, batch)
            document = {"event": record, "batch": batch}
        origin = f"{self.client.url}/events (seq {record['seq']})"
        outcome = await self.pipeline.accept(json.dumps(document).encode(), origin=origin, mapping=MAPPINGS.get(kind))
        if isinstance(outcome, Rejected):
            log.warning("mes feed record %s (%s) dead-lettered: %s", record["seq"], kind, outcome.reason)

    async def _recipe(self, record: dict[str, Any], batch: dict[str, Any] | None) -> None:
        data = record.get("data")  # any JSON: a record out of shape is the mapping's to refuse, not a crash here
        mbr_id = (batch or {}).get("master_batch_record_id") or (
            data.get("master_batch_record_id") if isinstance(data, dict) else None)
        if not isinstance(mbr_id, str) or not mbr_id:
            return
        try:
            mbr = await self.client.master_batch_record(mbr_id)
        except MesProblem as exc:  # the batch event still goes out; its recipe ranges are then unknown
            log.warning("mes master batch record %s of feed record %s not readable: %s", mbr_id, record["seq"], exc)
            return
        origin = f"{self.client.url}/master-batch-records/{mbr_id}"
        outcome = await self.pipeline.accept(json.dumps(mbr).encode(), origin=origin, mapping=RECIPE_MAPPING)
        if isinstance(outcome, Rejected):
            log.warning("mes master batch record %s dead-lettered: %s", mbr_id, outcome.reason)

    async def _batch(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The batch record, without its lists (the mapping reads only what never changes after creation)."""
        batch_id = record.get("batch_id")
        if not isinstance(batch_id, str) or not batch_id:
            return None
        try:
            batch = await self.client.batch(batch_id)
        except MesProblem as exc:  # e.g. 404: the mapping then refuses the record with its reason
            log.warning("mes batch %s of feed record %s not readable: %s", batch_id, record["seq"], exc)
            return None
        return {k: v for k, v in batch.items() if not isinstance(v, list)}
