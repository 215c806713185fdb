"""Batches and QM usage decisions: /lots, /lots/{id}/usage-decisions, /usage-decisions."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from simulators.erp.concurrency import etag, require_match, with_etag
from simulators.erp.deps import acting_user, entity, if_match_header, iso_day, problems, store_of
from simulators.erp.lots import change_status, create_lot, get_lot, post_usage_decision
from simulators.erp.odata import QueryOptions, collection, query_options, select
from simulators.erp.odata_types import Schema
from simulators.erp.problems import ErpJSON, Problem
from simulators.erp.requests import LotCreate, LotStatusChange, UsageDecisionCreate
from simulators.erp.resources import Lot, Page, Posted, UsageDecision
from simulators.erp.store import ErpStore

router = APIRouter(tags=["Batches"])
LOT_FIELDS: Schema = {"id": "string", "material": "string", "plant": "string", "storage_location": "string",
                      "status": "string", "stock_type": "string", "quantity": "number", "unit": "string",
                      "expiry": "date", "production_order": "string", "created_at": "datetime",
                      "changed_at": "datetime", "version": "number"}
UD_FIELDS: Schema = {"id": "string", "lot": "string", "material": "string", "decision": "string", "code": "string",
                     "status_before": "string", "status_after": "string", "user": "string",
                     "decided_at": "datetime", "esignature_ref": "string"}
LotId = Path(max_length=64, description="Batch number", examples=["MED-24-331"])


@router.get("/lots", response_model=Page[Lot], responses=problems())
async def list_lots(request: Request, options: QueryOptions = Depends(query_options),
                    store: ErpStore = Depends(store_of)) -> Response:
    rows = [with_etag(lot) for lot in select(store.lots.values(), LOT_FIELDS, options)]
    return collection(request, rows, options)


@router.post("/lots", status_code=201, response_model=Lot, responses=problems(409, 422))
async def post_lot(body: LotCreate, request: Request, store: ErpStore = Depends(store_of)) -> Response:
    lot = create_lot(store, body.id, body.material, body.quantity, body.unit, acting_user(request, body.user),
                     body.status, iso_day(body.expiry), body.storage_location,
                     body.production_order, body.reason)
    store.save()
    return entity(lot, 201, f"/lots/{lot['id']}")


@router.get("/lots/{lot_id}", response_model=Lot, responses=problems(404))
async def read_lot(lot_id: str = LotId, store: ErpStore = Depends(store_of)) -> Response:
    return entity(get_lot(store, lot_id))


@router.patch("/lots/{lot_id}", response_model=Lot, responses=problems(404, 409, 412, 422, 428))
async def patch_lot_status(body: LotStatusChange, request: Request, lot_id: str = LotId,
                           if_match: str | None = Depends(if_match_header),
                           store: ErpStore = Depends(store_of)) -> Response:
    """Change the batch status (a stock-type transfer); needs If-Match."""
    lot = get_lot(store, lot_id)
    require_match(if_match, lot, f"batch {lot_id}")
    change_status(store, lot, body.status, acting_user(request, body.user), body.reason)
    store.save()
    return entity(lot)


@router.get("/lots/{lot_id}/usage-decisions", response_model=Page[UsageDecision], responses=problems(404))
async def lot_usage_decisions(request: Request, lot_id: str = LotId, options: QueryOptions = Depends(query_options),
                              store: ErpStore = Depends(store_of)) -> Response:
    get_lot(store, lot_id)
    rows = [ud for ud in store.usage_decisions if ud["lot"] == lot_id]
    return collection(request, select(rows, UD_FIELDS, options), options)


@router.post("/lots/{lot_id}/usage-decisions", status_code=201, response_model=Posted,
             responses=problems(404, 409, 412, 422, 428))
async def post_decision(body: UsageDecisionCreate, request: Request, lot_id: str = LotId,
                        if_match: str | None = Depends(if_match_header),
                        store: ErpStore = Depends(store_of)) -> Response:
    """Post the QM usage decision (accept releases, reject rejects, block blocks); needs the batch's If-Match."""
    lot = get_lot(store, lot_id)
    require_match(if_match, lot, f"batch {lot_id}")
    ud = post_usage_decision(store, lot, body.decision, body.reason, acting_user(request, body.user),
                             body.esignature_ref)
    store.save()
    return ErpJSON({"usage_decision": ud, "lot": with_etag(lot)}, 201,
                   headers={"ETag": etag(lot), "Location": f"/usage-decisions/{quote(ud['id'])}"})


@router.get("/usage-decisions", response_model=Page[UsageDecision], responses=problems())
async def list_usage_decisions(request: Request, options: QueryOptions = Depends(query_options),
                               store: ErpStore = Depends(store_of)) -> Response:
    return collection(request, select(store.usage_decisions, UD_FIELDS, options), options)


@router.get("/usage-decisions/{decision_id}", response_model=UsageDecision, responses=problems(404))
async def read_usage_decision(decision_id: str = Path(max_length=64), store: ErpStore = Depends(store_of)) -> Response:
    for ud in store.usage_decisions:
        if ud["id"] == decision_id:
            return ErpJSON(ud)
    raise Problem(404, "unknown_usage_decision", f"usage decision {decision_id!r} does not exist")
