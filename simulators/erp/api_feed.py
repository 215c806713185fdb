"""The change feed (/changes, cursor-based) and the change documents (/audit), both read-only.

With the duplicate-delivery fault, some feed records arrive twice (same seq): consumers must be
idempotent on `seq`, as they must be with any at-least-once source.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from simulators.erp.deps import problems, store_of
from simulators.erp.problems import ErpJSON
from simulators.erp.resources import AuditPage, ChangePage
from simulators.erp.store import ErpStore

router = APIRouter(tags=["Change feed and audit"])


@router.get("/changes", response_model=ChangePage, responses=problems())
async def changes(request: Request, after: int = Query(0, ge=0, le=10**15, description="Cursor: last seq seen"),
                  limit: int = Query(100, ge=1, le=1000), store: ErpStore = Depends(store_of)) -> Response:
    records = store.changes_after(after, limit)
    faults = request.app.state.faults
    value: list[dict[str, Any]] = []
    for record in records:
        value.append(record)
        if faults.duplicate():
            value.append(record)
    return ErpJSON({"value": value, "next_cursor": records[-1]["seq"] if records else after})


@router.get("/audit", response_model=AuditPage, responses=problems())
async def audit(request: Request, after: int = Query(0, ge=0, le=10**15, description="Last audit seq seen"),
                limit: int = Query(1000, ge=1, le=10_000),
                record_type: str | None = Query(None, max_length=64, description="e.g. lot, production_order"),
                record_id: str | None = Query(None, max_length=64, description="e.g. a batch number"),
                store: ErpStore = Depends(store_of)) -> Response:
    """Change documents (who, when, object, field, old -> new, reason), like SAP's CDHDR/CDPOS."""
    entries = [e.as_dict() for e in store.audit.since(after, 10**9)
               if (record_type is None or e.record_type == record_type)
               and (record_id is None or e.record_id == record_id)][:limit]
    return ErpJSON({"value": entries, "next_after": entries[-1]["seq"] if entries else after})
