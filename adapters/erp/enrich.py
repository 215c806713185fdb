"""What a change-feed record lacks for its canonical event, added as `enrichment` (mappings/erp/README.md).

- `enrichment.production_order`: the order named in `data.production_order` (lot_created,
  lot_status_changed, inventory_transaction_posted), whose batch_id is the batch. Orders never change
  their batch, so they are cached.
- `enrichment.lot`: for a stock-type posting (321...350), the `data` of the record at `seq - 1`, the
  `lot_status_changed` of the same batch that caused it: the batch as it was then, never GET /lots/{id}.

Nothing found (an unknown order, a feed out of shape) means no enrichment: the mapping then refuses the
record and it is dead-lettered with the reason. An unreachable ERP raises RetryableError.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from adapters.erp.api import ErpApi, Record

log = logging.getLogger(__name__)
ORDER_KINDS = frozenset({"lot_created", "lot_status_changed", "inventory_transaction_posted"})
STOCK_TYPE_POSTINGS = frozenset({"321", "322", "343", "344", "349", "350"})
CACHED_ORDERS = 1000


class Enricher:
    def __init__(self, api: ErpApi) -> None:
        self.api = api
        self._orders: OrderedDict[str, Record] = OrderedDict()

    async def enrich(self, record: Record, previous: Record | None = None) -> Record:
        """`record` with the enrichment its mapping needs (a copy; the record itself is not changed)."""
        kind, data, given = str(record.get("type")), record.get("data"), record.get("enrichment")
        if not isinstance(data, dict):
            return record
        extra: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
        order_id = data.get("production_order")
        if kind in ORDER_KINDS and order_id and "production_order" not in extra:
            order = await self.order(str(order_id))
            if order is not None:
                extra["production_order"] = order
        if (kind == "inventory_transaction_posted" and str(data.get("movement_type")) in STOCK_TYPE_POSTINGS
                and "lot" not in extra):
            lot = await self.lot_before(record, previous)
            if lot is not None:
                extra["lot"] = lot
        return {**record, "enrichment": extra} if extra else record

    async def order(self, order_id: str) -> Record | None:
        if order_id in self._orders:
            return self._orders[order_id]
        order = await self.api.production_order(order_id)
        if order is None:
            log.warning("erp: production order %s named in the change feed does not exist", order_id)
            return None
        order = {k: v for k, v in order.items() if k != "@odata.etag"}
        self._orders[order_id] = order
        while len(self._orders) > CACHED_ORDERS:
            self._orders.popitem(last=False)
        return order

    async def lot_before(self, record: Record, previous: Record | None) -> Record | None:
        """The batch from the lot_status_changed record right before a stock-type posting."""
        try:
            seq = int(record["seq"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        cause = previous if previous is not None and previous.get("seq") == seq - 1 else None
        if cause is None and seq >= 2:
            records, _ = await self.api.changes(seq - 2, 1)
            cause = next((r for r in records if r.get("seq") == seq - 1), None)
        lot_id = (record.get("data") or {}).get("lot")
        if cause is None or cause.get("type") != "lot_status_changed" or cause.get("object_id") != lot_id:
            log.warning("erp: stock-type posting at seq %s does not follow a status change of batch %s", seq, lot_id)
            return None
        data = cause.get("data")
        return data if isinstance(data, dict) else None
