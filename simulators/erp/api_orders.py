"""Production orders: /production-orders; status changes need If-Match."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from simulators.erp.concurrency import require_match, with_etag
from simulators.erp.deps import acting_user, entity, if_match_header, problems, store_of
from simulators.erp.odata import QueryOptions, collection, query_options, select
from simulators.erp.odata_types import Schema
from simulators.erp.orders import change_order_status, create_order, get_order
from simulators.erp.requests import ProductionOrderCreate, ProductionOrderStatusChange
from simulators.erp.resources import Page, ProductionOrder
from simulators.erp.store import ErpStore

router = APIRouter(tags=["Production orders"])
FIELDS: Schema = {"id": "string", "material": "string", "plant": "string", "batch_id": "string", "lot": "string",
                  "quantity": "number", "unit": "string", "status": "string", "bom": "string",
                  "created_at": "datetime", "changed_at": "datetime", "version": "number"}
OrderId = Path(max_length=64, description="Production order number", examples=["1000001"])


@router.get("/production-orders", response_model=Page[ProductionOrder], responses=problems())
async def list_orders(request: Request, options: QueryOptions = Depends(query_options),
                      store: ErpStore = Depends(store_of)) -> Response:
    rows = [with_etag(order) for order in select(store.orders.values(), FIELDS, options)]
    return collection(request, rows, options)


@router.post("/production-orders", status_code=201, response_model=ProductionOrder, responses=problems(422))
async def post_order(body: ProductionOrderCreate, request: Request, store: ErpStore = Depends(store_of)) -> Response:
    """Create an order for a batch; components come from the product's BOM."""
    order = create_order(store, body.material, body.batch_id, body.quantity, body.unit,
                         acting_user(request, body.user), body.lot)
    store.save()
    return entity(order, 201, f"/production-orders/{order['id']}")


@router.get("/production-orders/{order_id}", response_model=ProductionOrder, responses=problems(404))
async def read_order(order_id: str = OrderId, store: ErpStore = Depends(store_of)) -> Response:
    return entity(get_order(store, order_id))


@router.patch("/production-orders/{order_id}", response_model=ProductionOrder,
              responses=problems(404, 409, 412, 422, 428))
async def patch_order_status(body: ProductionOrderStatusChange, request: Request, order_id: str = OrderId,
                             if_match: str | None = Depends(if_match_header),
                             store: ErpStore = Depends(store_of)) -> Response:
    """Move the order on (created -> released -> confirmed -> closed); needs If-Match."""
    order = get_order(store, order_id)
    require_match(if_match, order, f"production order {order_id}")
    change_order_status(store, order, body.status, acting_user(request, body.user), body.reason)
    store.save()
    return entity(order)
