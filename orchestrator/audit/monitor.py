"""The live ALCOA+ monitor: every record the audit store appends is checked within a second or so,
and each issue is raised as a DataIntegrityIssueDetected event (in the trail, the review and the
console) instead of waiting for someone to run a review.

It follows the store by sequence number from a persisted cursor, so a restart neither skips nor
repeats records; event ids derive from the record and the check, so JetStream drops any repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import DataIntegrityIssueDetected
from canonical_model.ids import deterministic_id
from messaging.publisher import Publisher
from orchestrator.audit.integrity import Issue, Limits, SequenceCheck, record_issues
from orchestrator.audit.query import present
from orchestrator.audit.schema import has_schema, records
from storage.cursors import CursorStore
from storage.engine import create_schema

log = logging.getLogger(__name__)
CURSOR = "audit.integrity_monitor"
SOURCE, ACTOR = "/gxplink/audit/integrity", "service:gxplink-audit-integrity"
SYSTEMS = {"mes", "lims", "qms", "erp", "deltav", "gxplink"}


def issue_event(rec: dict[str, Any], issue: Issue) -> Envelope[DataIntegrityIssueDetected]:
    batches = rec["correlation"].get("batch") or []
    issue_id = deterministic_id("integrity", rec["id"], issue.check, issue.detail)
    data = DataIntegrityIssueDetected(
        issue_id=issue_id, check=issue.check, principle=issue.principle, record_id=rec["id"][:200],
        record_type=rec["recordtype"], record_ref=rec["recordid"][:200],
        source_system=rec["sourcesystem"] if rec["sourcesystem"] in SYSTEMS else "gxplink",
        batch_id=batches[0] if batches else None, detail=issue.detail, detected_at=datetime.now(UTC))
    return Envelope.wrap(data, id=issue_id, source=SOURCE, actor=ACTOR, sourcesystem="gxplink",
                         subject=f"{rec['recordtype']}/{rec['recordid']}"[:200],
                         correlationid=rec["correlationid"] or (batches[0] if batches else None),
                         causationid=rec["id"])


class IntegrityMonitor:
    def __init__(self, engine: AsyncEngine, publisher: Publisher, limits: Limits | None = None, *,
                 interval: float = 1.0, batch: int = 500) -> None:
        self.engine, self.publisher, self.limits = engine, publisher, limits or Limits()
        self.cursors, self.interval, self.batch = CursorStore(engine), interval, batch
        self.sequence = SequenceCheck(self.limits)
        self.raised = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await create_schema(self.engine)  # the cursor table
        self._task = asyncio.create_task(self._run(), name="audit-integrity-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.check_new() == self.batch:
                    pass
            except Exception:  # a database or NATS outage: the cursor did not move, try again
                log.warning("integrity monitor: pass failed; retrying", exc_info=True)
            await asyncio.sleep(self.interval)

    async def check_new(self) -> int:
        """Check the records appended since the cursor; returns how many were read."""
        after = int(await self.cursors.get(CURSOR) or 0)
        async with self.engine.connect() as conn:
            if not await has_schema(conn):
                return 0
            query = select(records).where(records.c.seq > after).order_by(records.c.seq).limit(self.batch)
            rows = [present(dict(r)) for r in (await conn.execute(query)).mappings()]
        for rec in rows:
            issues = list(record_issues(rec, self.limits))
            found = self.sequence.see(rec)
            for issue in [*issues, *([found] if found else [])]:
                await self.publisher.publish(issue_event(rec, issue))
                self.raised += 1
        if rows:
            await self.cursors.set(CURSOR, str(rows[-1]["seq"]))
        return len(rows)
