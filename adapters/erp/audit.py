"""The ERP's change documents (GET /audit), published as AuditRecorded on gxp.audit.erp.

The position (the last entry's seq) is persisted only after JetStream acknowledged every entry of
the page, so a restarted adapter neither skips nor repeats (and a repeat would dedupe by its id,
derived from the entry's seq and time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from adapters.erp.api import ErpApi
from adapters.framework.inbound import InboundPipeline, Rejected
from canonical_model import subjects
from messaging.errors import RetryableError
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.erp.native_audit"
MAPPING = "erp/audit_entry"


class AuditReader:
    def __init__(self, api: ErpApi, pipeline: InboundPipeline, cursors: CursorStore, page: int = 500) -> None:
        self.api, self.pipeline, self.cursors, self.page = api, pipeline, cursors, page

    async def poll_once(self) -> int:
        """Publish every new change document; returns how many were taken."""
        taken = 0
        while True:
            after = int(await self.cursors.get(CURSOR) or 0)
            entries, next_after = await self.api.audit(after, self.page)
            if not entries or next_after <= after:
                return taken
            for entry in entries:
                outcome = await self.pipeline.accept(json.dumps(entry).encode(), mapping=MAPPING,
                                                     origin=f"{self.api.url}/audit#seq={entry.get('seq')}",
                                                     subject=subjects.audit_subject("erp"))
                if isinstance(outcome, Rejected):
                    log.warning("erp change document %s dead-lettered: %s", entry.get("seq"), outcome.reason)
            await self.cursors.set(CURSOR, str(next_after))
            taken += len(entries)

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
            except RetryableError as exc:
                log.info("erp change documents not readable now: %s", exc)
            except Exception as exc:
                log.error("erp audit poll failed: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
