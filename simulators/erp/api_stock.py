"""Goods movements: /inventory-transactions (material documents)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from simulators.erp.deps import acting_user, entity, iso_day, problems, store_of
from simulators.erp.movements import post_movement
from simulators.erp.odata import QueryOptions, collection, query_options, select
from simulators.erp.odata_types import Schema
from simulators.erp.problems import Problem
from simulators.erp.requests import GoodsMovementCreate
from simulators.erp.resources import InventoryTransaction, Page
from simulators.erp.store import ErpStore

router = APIRouter(tags=["Goods movements"])
FIELDS: Schema = {"id": "string", "movement_type": "string", "movement": "string", "material": "string",
                  "lot": "string", "plant": "string", "quantity": "number", "unit": "string", "posting_date": "date",
                  "entered_at": "datetime", "user": "string", "production_order": "string",
                  "from_storage_location": "string", "to_storage_location": "string", "from_stock_type": "string",
                  "to_stock_type": "string"}


@router.get("/inventory-transactions", response_model=Page[InventoryTransaction], responses=problems())
async def list_transactions(request: Request, options: QueryOptions = Depends(query_options),
                            store: ErpStore = Depends(store_of)) -> Response:
    return collection(request, select(store.transactions, FIELDS, options), options)


@router.post("/inventory-transactions", status_code=201, response_model=InventoryTransaction,
             responses=problems(409, 422))
async def post_transaction(body: GoodsMovementCreate, request: Request,
                           store: ErpStore = Depends(store_of)) -> Response:
    """Post a goods movement; a 101 receipt into an unknown batch creates it in quarantine."""
    doc = post_movement(store, body.movement_type, body.material, body.lot, body.quantity, body.unit,
                        acting_user(request, body.user), iso_day(body.posting_date),
                        body.production_order, body.storage_location, body.reason,
                        iso_day(body.expiry))
    store.save()
    return entity(doc, 201, f"/inventory-transactions/{doc['id']}", versioned=False)


@router.get("/inventory-transactions/{document}", response_model=InventoryTransaction, responses=problems(404))
async def read_transaction(document: str = Path(max_length=64, description="Material document number"),
                           store: ErpStore = Depends(store_of)) -> Response:
    for doc in store.transactions:
        if doc["id"] == document:
            return entity(doc, versioned=False)
    raise Problem(404, "unknown_material_document", f"material document {document!r} does not exist")
