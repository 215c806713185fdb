"""CreateProductionOrder as POST /production-orders, at most one order per batch.

The ERP names no idempotency key, but a batch is made by one order: an existing order for the batch
is the outcome of an earlier attempt (its answer lost) or of someone else, and is not created again.
The ERP explodes the product's active BOM itself; a command asking for another BOM is refused first.
"""

from __future__ import annotations

from typing import Any

from adapters.erp.api import ErpApi, Record
from adapters.erp.problems import ErpRefused, refused
from adapters.framework.commands import Outcome
from canonical_model.envelope import Envelope


class ProductionOrders:
    def __init__(self, api: ErpApi) -> None:
        self.api = api

    async def create(self, command: Envelope[Any], body: Record) -> Outcome:
        batch_id, product = command.data.batch_id, command.data.product
        existing = await self.api.production_orders_for_batch(batch_id)
        if existing:
            order = existing[0]
            if order.get("material") != product:
                raise ErpRefused(f"batch {batch_id} already has production order {order.get('id')} for "
                                 f"{order.get('material')}, not {product}", "batch_has_order")
            return _outcome(order, "already existed; nothing created")
        if command.data.bom_id:
            await self._check_bom(product, command.data.bom_id)
        reply = await self.api.post_production_order(body)
        if not reply.ok:
            raise refused(reply, f"production order for batch {batch_id}")
        if reply.body is None:  # created, but the answer was cut off: read it back
            found = await self.api.production_orders_for_batch(batch_id)
            return _outcome(found[0] if found else {}, "created")
        return _outcome(reply.body, "created")

    async def _check_bom(self, product: str, bom_id: str) -> None:
        active = [b for b in await self.api.boms() if b.get("material") == product and b.get("status") == "active"]
        if all(b.get("id") != bom_id for b in active):
            names = ", ".join(str(b.get("id")) for b in active) or "none"
            raise ErpRefused(f"the ERP explodes the active BOM of {product} ({names}); it cannot use {bom_id}",
                             "bom_not_active")


def _outcome(order: Record, what: str) -> Outcome:
    references = {k: str(order[v]) for k, v in (("production_order_id", "id"), ("lot_id", "lot"),
                                                ("bom_id", "bom")) if order.get(v)}
    return Outcome(detail=f"production order {order.get('id', '?')} for batch {order.get('batch_id', '?')} {what}",
                   references=references)
