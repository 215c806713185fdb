"""Batches and their QM status: creation, status changes and usage decisions with SAP's rules.

A rejected batch is final; everything else may move between quarantine, released and blocked,
each move posting the stock-type transfer SAP would post (321, 350, 343...).
"""

from __future__ import annotations

from typing import Any

from simulators.erp import seed
from simulators.erp.ledger import stock_type_posting
from simulators.erp.problems import Problem
from simulators.erp.store import ErpStore, created
from simulators.erp.units import check_unit, convert

STATUSES = ("quarantine", "released", "rejected", "blocked")
DECISIONS = {"accept": "released", "reject": "rejected", "block": "blocked"}
UD_CODES = {"accept": "A", "reject": "R", "block": "B"}  # usage decision code: accepted / rejected / blocked


def get_lot(store: ErpStore, lot_id: str, status: int = 404) -> dict[str, Any]:
    if lot_id not in store.lots:
        raise Problem(status, "unknown_lot", f"batch {lot_id!r} does not exist")
    return store.lots[lot_id]


def create_lot(store: ErpStore, lot_id: str, material_id: str, quantity: float, unit: str, user: str,
               status: str = "quarantine", expiry: str | None = None, storage_location: str | None = None,
               production_order: str | None = None, reason: str | None = None) -> dict[str, Any]:
    material = store.material(material_id)
    if lot_id in store.lots:
        raise Problem(409, "lot_exists", f"batch {lot_id!r} already exists", lot=lot_id)
    check_unit(unit)
    quantity = convert(quantity, unit, material["base_unit"])
    lot = seed.lot(lot_id, material_id, status, quantity, material["base_unit"], store.now(), expiry,
                   storage_location or seed.STORAGE_LOCATION, production_order)
    store.lots[lot_id] = lot
    store.emit("lot_created", user, "lot", lot_id, lot, created(lot, "material", "status", "quantity"), reason)
    return lot


def check_transition(lot: dict[str, Any], new_status: str, today: str) -> None:
    old = lot["status"]
    if old == new_status:
        raise Problem(409, "status_unchanged", f"batch {lot['id']} is already {old}", status_now=old)
    if old == "rejected":
        raise Problem(409, "lot_rejected", f"batch {lot['id']} is rejected; a rejected batch cannot become "
                      f"{new_status}", status_now=old)
    if new_status == "released" and lot.get("expiry") and str(lot["expiry"]) < today:
        raise Problem(409, "lot_expired", f"batch {lot['id']} expired on {lot['expiry']}; it cannot be released")


def change_status(store: ErpStore, lot: dict[str, Any], new_status: str, user: str, reason: str | None,
                  kind: str = "lot_status_changed") -> dict[str, Any]:
    check_transition(lot, new_status, store.today())
    old_status, old_type = lot["status"], lot["stock_type"]
    lot["status"], lot["stock_type"] = new_status, seed.STOCK_TYPES[new_status]
    store.touch(lot)
    store.emit(kind, user, "lot", lot["id"], lot, {"status": (old_status, new_status)}, reason)
    stock_type_posting(store, lot, old_type, user, reason)
    return lot


def post_usage_decision(store: ErpStore, lot: dict[str, Any], decision: str, reason: str, user: str,
                        esignature_ref: str | None = None) -> dict[str, Any]:
    """The QM usage decision: recorded as its own document, then applied to the batch status."""
    new_status = DECISIONS[decision]
    check_transition(lot, new_status, store.today())
    old_status = lot["status"]
    ud = {"id": store.number("inspection_lot", 10_000_000_000), "lot": lot["id"], "material": lot["material"],
          "decision": decision, "code": UD_CODES[decision], "status_before": old_status, "status_after": new_status,
          "reason": reason, "user": user, "decided_at": store.now(), "esignature_ref": esignature_ref}
    store.usage_decisions.append(ud)
    store.emit("usage_decision_posted", user, "usage_decision", ud["id"], ud,
               created(ud, "lot", "decision", "esignature_ref"), reason)
    change_status(store, lot, new_status, user, reason)
    return ud
