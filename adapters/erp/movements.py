"""PostInventoryTransaction as a goods movement (POST /inventory-transactions), posted once.

The ERP has no field for the command's reference, so a write whose answer was lost (read timeout,
dropped connection) could be posted twice by a plain retry. Before the first write the adapter notes
the material documents of the batch and movement type that already exist; after a lost answer it
looks for a new one with the same quantity, unit and user before writing again.
A 261 issue names its production order: given in the command, or the batch's order in the ERP.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

from adapters.erp.api import ErpApi, OutcomeUnknown, Record
from adapters.erp.problems import ErpRefused, refused
from adapters.framework.commands import Outcome
from canonical_model.envelope import Envelope
from messaging.errors import RetryableError

REMEMBERED = 1000  # commands whose outcome is unknown, kept until they are retried


class Movements:
    def __init__(self, api: ErpApi) -> None:
        self.api = api
        self._before: OrderedDict[str, set[str]] = OrderedDict()  # command id -> documents before its write

    async def post(self, command: Envelope[Any], body: Record) -> Outcome:
        body = dict(body)
        if body.get("movement_type") == "261" and not body.get("production_order"):
            body["production_order"] = await self._order_of(command.data.batch_id)
        existing = self._before.get(command.id)
        if existing is not None:  # an earlier write of this command got no answer: was it posted?
            found = await self._posted_since(body, existing)
            if found is not None:
                self._before.pop(command.id, None)
                return _outcome(found, "posted by an earlier attempt whose answer was lost")
        else:
            existing = {str(d.get("id")) for d in await self.api.transactions(body["lot"], body["movement_type"])}
        try:
            reply = await self.api.post_inventory_transaction(body)
        except OutcomeUnknown:
            self._remember(command.id, existing)
            raise
        self._before.pop(command.id, None)
        if not reply.ok:
            raise refused(reply, f"goods movement {body['movement_type']} of batch {body['lot']}")
        if reply.body is None:  # 201 with a cut-off body: posted, but which document? (never post it again)
            found = None
            with contextlib.suppress(RetryableError):
                found = await self._posted_since(body, existing)
            return _outcome(found or {}, "the ERP's answer was unreadable")
        return _outcome(reply.body, None)

    async def _order_of(self, batch_id: str | None) -> str:
        if not batch_id:
            raise ErpRefused("an issue (261) needs production_order_id or the consuming batch_id", "order_required")
        orders = await self.api.production_orders_for_batch(batch_id)
        released = [o for o in orders if o.get("status") == "released"]
        if not (released or orders):
            raise ErpRefused(f"the ERP has no production order for batch {batch_id}", "unknown_order")
        return str((released or orders)[0]["id"])

    async def _posted_since(self, body: Record, before: set[str]) -> Record | None:
        for document in await self.api.transactions(body["lot"], body["movement_type"]):
            if str(document.get("id")) not in before and _same(document, body):
                return document
        return None

    def _remember(self, command_id: str, before: set[str]) -> None:
        self._before[command_id] = before
        while len(self._before) > REMEMBERED:
            self._before.popitem(last=False)


def _same(document: Record, body: Record) -> bool:
    """Could this new document be ours? (The ERP books in the batch's unit, so only a same-unit quantity compares.)"""
    if body.get("user") is not None and document.get("user") != body["user"]:
        return False
    return document.get("unit") != body.get("unit") or float(document.get("quantity") or 0) == body.get("quantity")


def _outcome(document: Record, note: str | None) -> Outcome:
    number = document.get("id")
    detail = f"material document {number} posted" if number else "goods movement posted"
    references = {"material_document": str(number)} if number else {}
    return Outcome(detail=f"{detail} ({note})" if note else detail, references=references)
