"""The LIMS's native audit trail, read with QBP^Z99 and published as AuditRecorded on gxp.audit.lims.

The cursor (the last ZAU-1 sequence number) is persisted only after JetStream acknowledged the
entries, so a restarted adapter neither skips nor repeats (and a repeat would dedupe by id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from adapters.framework.inbound import Accepted, InboundPipeline
from adapters.lims.client import LimsSender
from canonical_model import subjects
from canonical_model.ids import new_id
from mappings.engine.hl7 import parse_hl7
from messaging.errors import RetryableError
from storage.cursors import CursorStore

log = logging.getLogger(__name__)
CURSOR = "adapter.lims.native_audit"
MAPPING = "lims/rsp_z99_audit"


class AuditReader:
    def __init__(self, sender: LimsSender, pipeline: InboundPipeline, cursors: CursorStore, application: str) -> None:
        self.sender, self.pipeline, self.cursors, self.application = sender, pipeline, cursors, application

    async def poll_once(self, page: int = 200) -> int:
        """Read every new entry (paging while the LIMS says more remain); returns how many were published."""
        published = 0
        while True:
            after = await self.cursors.get(CURSOR) or "0"
            answer = await self.sender.send(self._query(after, page))
            message = parse_hl7(answer)
            zau = [s for s in message.segments if s[0] == "ZAU"]
            if not zau:
                return published
            outcome = await self.pipeline.accept(answer, origin=f"mllp://{self.sender.host}:{self.sender.port}",
                                                 mapping=MAPPING, subject=subjects.audit_subject("lims"))
            if not isinstance(outcome, Accepted):
                log.warning("lims audit entries after %s were dead-lettered: %s", after, outcome.reason)
            await self.cursors.set(CURSOR, zau[-1][1])
            published += len(zau)
            qak = next((s for s in message.segments if s[0] == "QAK"), ())
            if len(qak) <= 6 or qak[6] in ("", "0"):
                return published

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
            except RetryableError as exc:
                log.info("lims audit trail not readable now: %s", exc)
            except Exception:
                log.exception("lims audit poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    def _query(self, after: str, limit: int) -> bytes:
        now = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
        return (f"MSH|^~\\&|{self.application}|CAM|LIMS|CAM-QC|{now}||QBP^Z99^QBP_Q11|{new_id()}|P|2.5.1\r"
                f"QPD|Z99^LIMS audit trail^99LIMS|{new_id()[:8]}|{after}\rRCP|I|{limit}^RD\r").encode()
