"""Following the ERP's change feed: each record enriched, translated, published, then the cursor moved.

The cursor (the last `seq` taken) is persisted only after JetStream acknowledged what the record
produced, or after the record was dead-lettered, so a restarted adapter neither skips nor repeats.
The feed is at-least-once (a record may come twice, in one page or across pages): records at or
below the cursor are skipped, and a repeat that slips through is dropped by its deterministic id.
Kinds without a canonical event (NO_EVENT) are skipped on purpose and counted, never dead-lettered.
Before the first read, the BOMs the ERP already holds (never in the feed) are published once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from adapters.erp.api import ErpApi, Record
from adapters.erp.enrich import Enricher
from adapters.erp.metrics import skipped_records
from adapters.framework.inbound import InboundPipeline, Rejected
from messaging.errors import RetryableError
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.erp.change_feed"
OPENING_BOMS = "adapter.erp.opening_boms"
NO_EVENT = frozenset({"production_order_status_changed", "material_created"})  # mappings/erp/README.md
BOM_MAPPING = "erp/bom_changed"


class ChangeFeedReader:
    def __init__(self, api: ErpApi, pipeline: InboundPipeline, cursors: CursorStore, page: int = 200) -> None:
        self.api, self.pipeline, self.cursors, self.page = api, pipeline, cursors, page
        self.enricher = Enricher(api)
        self.skipped = skipped_records(pipeline.metrics)
        self._previous: Record | None = None  # the record taken last: the cause of a stock-type posting

    async def poll_once(self) -> int:
        """Take every record the feed has now; returns how many records were taken."""
        if await self.cursors.get(OPENING_BOMS) is None:
            await self.publish_opening_boms()
        taken = 0
        while True:
            after = int(await self.cursors.get(CURSOR) or 0)
            records, next_cursor = await self.api.changes(after, self.page)
            last = after
            for record in records:
                seq = _seq(record)
                if seq is not None and seq <= last:
                    continue  # delivered twice, or already taken before a restart
                await self.take(record)
                taken += 1
                if seq is not None:
                    last = seq
                    await self.cursors.set(CURSOR, str(seq))
            if records and next_cursor > last:  # the page ended in records without a seq (dead-lettered)
                last = next_cursor
                await self.cursors.set(CURSOR, str(next_cursor))
            if last == after:
                return taken

    async def take(self, record: Record) -> None:
        kind = str(record.get("type"))
        if kind in NO_EVENT:
            self.skipped.labels("erp", kind).inc()
            log.debug("erp: %s at seq %s has no canonical event; skipped", kind, record.get("seq"))
        else:
            enriched = await self.enricher.enrich(record, self._previous)
            outcome = await self.pipeline.accept(json.dumps(enriched).encode(),
                                                 origin=f"{self.api.url}/changes#seq={record.get('seq')}")
            if isinstance(outcome, Rejected):
                log.warning("erp: change %s (%s) dead-lettered: %s", record.get("seq"), kind, outcome.reason)
        self._previous = record

    async def publish_opening_boms(self) -> int:
        """The BOMs of the ERP's opening balance, once: ids from BOM id + version, so a repeat dedupes."""
        published = []
        for bom in await self.api.boms():
            outcome = await self.pipeline.accept(json.dumps(opening_bom_record(bom)).encode(), mapping=BOM_MAPPING,
                                                 origin=f"{self.api.url}/boms/{bom.get('id')}")
            if isinstance(outcome, Rejected):
                log.warning("erp: BOM %s dead-lettered: %s", bom.get("id"), outcome.reason)
            published.append(f"{bom.get('id')}@{bom.get('version')}")
        await self.cursors.set(OPENING_BOMS, ",".join(published) or "-")
        return len(published)

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
            except RetryableError as exc:
                log.info("erp change feed not readable now: %s", exc)
            except Exception as exc:  # a refusal (401...) or a bug: keep the cursor, try again later
                log.error("erp change feed poll failed: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


def opening_bom_record(bom: Record) -> Record:
    """A BOM from GET /boms in the shape of a `bom_changed` feed record, keyed by its version."""
    data = {k: v for k, v in bom.items() if k != "@odata.etag"}
    return {"seq": f"opening-v{bom.get('version')}", "type": "bom_changed", "at": bom.get("changed_at"),
            "object_type": "bom", "object_id": bom.get("id"), "changes": {},
            "reason": "BOM held by the ERP when gxplink first connected", "data": data}


def _seq(record: Record) -> int | None:
    try:
        return int(record["seq"])
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: an infinite seq
        return None
