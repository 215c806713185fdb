"""Material documents: every stock change leaves one, numbered like SAP's (49xxxxxxxx), in the feed."""

from __future__ import annotations

from typing import Any

from simulators.erp.store import ErpStore, created

MOVEMENTS = {
    "101": "goods_receipt", "261": "goods_issue", "311": "transfer", "701": "adjustment", "702": "adjustment",
    # stock-type changes posted by status changes and usage decisions
    "321": "transfer", "322": "transfer", "343": "transfer", "344": "transfer", "349": "transfer", "350": "transfer",
}
# (old stock type, new stock type) -> the transfer posting SAP makes for it
STOCK_TYPE_MOVES = {
    ("quality_inspection", "unrestricted"): "321", ("unrestricted", "quality_inspection"): "322",
    ("blocked", "unrestricted"): "343", ("unrestricted", "blocked"): "344",
    ("blocked", "quality_inspection"): "349", ("quality_inspection", "blocked"): "350",
}


def record_transaction(store: ErpStore, movement_type: str, lot: dict[str, Any], quantity: float, unit: str,
                       user: str, posting_date: str | None = None, reason: str | None = None,
                       **fields: Any) -> dict[str, Any]:
    doc = {"id": store.number("material_document", 4_900_000_000), "movement_type": movement_type,
           "movement": MOVEMENTS[movement_type], "material": lot["material"], "lot": lot["id"], "plant": lot["plant"],
           "quantity": quantity, "unit": unit, "posting_date": posting_date or store.today(), "entered_at": store.now(),
           "user": user, "production_order": None, "from_storage_location": None, "to_storage_location": None,
           "from_stock_type": None, "to_stock_type": None, "reason": reason, **fields}
    store.transactions.append(doc)
    store.emit("inventory_transaction_posted", user, "inventory_transaction", doc["id"], doc,
               created(doc, "movement_type", "lot", "quantity", "unit"), reason)
    return doc


def stock_type_posting(store: ErpStore, lot: dict[str, Any], old_type: str, user: str,
                       reason: str | None) -> dict[str, Any] | None:
    """The transfer posting behind a status change (e.g. 321 quality inspection -> unrestricted)."""
    movement = STOCK_TYPE_MOVES.get((old_type, lot["stock_type"]))
    if movement is None or lot["quantity"] <= 0:
        return None
    return record_transaction(store, movement, lot, lot["quantity"], lot["unit"], user, reason=reason,
                              from_stock_type=old_type, to_stock_type=lot["stock_type"])
