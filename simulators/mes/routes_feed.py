"""The change feed and the native audit trail, both read with a cursor (`after`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from simulators.common.faults import Faults
from simulators.mes.schemas import AuditPage, ChangePage
from simulators.mes.store import MesStore

After = Query(0, ge=0, le=2**53, description="Cursor: the last sequence number already read")
Limit = Query(100, ge=1, le=1000)


def feed_routes(store: MesStore, faults: Faults) -> APIRouter:
    router = APIRouter(tags=["change feed and audit trail"])

    @router.get("/events", response_model=ChangePage)
    async def read_events(after: int = After, limit: int = Limit) -> Any:
        """Change records after the cursor, oldest first. Delivery is at-least-once: deduplicate on `seq`."""
        page = store.feed.since(after, limit)
        delivered: list[dict[str, Any]] = []
        for record in page:
            delivered.append(record)
            if faults.duplicate():
                delivered.append(record)
        next_cursor = page[-1]["seq"] if page else max(min(after, store.feed.last_seq), 0)
        return {"events": delivered, "next_cursor": next_cursor, "has_more": next_cursor < store.feed.last_seq}

    @router.get("/audit", response_model=AuditPage)
    async def read_audit(after: int = After, limit: int = Limit) -> Any:
        """The native audit trail: who, when, what, old -> new value, why; one entry per changed field."""
        entries = [e.as_dict() for e in store.audit.since(after, limit)]
        next_cursor = entries[-1]["seq"] if entries else min(after, len(store.audit.entries))
        return {"entries": entries, "next_cursor": next_cursor}

    return router
