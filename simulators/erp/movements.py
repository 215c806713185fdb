"""Goods movements posted through the API: receipt (101), issue to a production order (261),
transfer between storage locations (311) and inventory differences (701/702).

The checks are the ones SAP makes before it writes a material document: known material and
batch, matching units, an unrestricted (released) batch for an issue, no stock below zero.
"""

from __future__ import annotations

from typing import Any

from simulators.erp.ledger import record_transaction
from simulators.erp.lots import create_lot, get_lot
from simulators.erp.problems import Problem
from simulators.erp.store import ErpStore
from simulators.erp.units import check_unit, convert

POSTABLE = ("101", "261", "311", "701", "702")


def _order(store: ErpStore, order_id: str | None, material: str | None, statuses: tuple[str, ...]) -> dict[str, Any]:
    if not order_id:
        raise Problem(422, "order_required", "this movement type needs a production_order")
    order = store.orders.get(order_id)
    if order is None:
        raise Problem(422, "unknown_order", f"production order {order_id!r} does not exist")
    if material is not None and order["material"] != material:
        raise Problem(422, "order_material_mismatch", f"order {order_id} makes {order['material']}, not {material}")
    if order["status"] not in statuses:
        raise Problem(409, "order_status", f"order {order_id} is {order['status']}; needs {' or '.join(statuses)}")
    return order


def _set_quantity(store: ErpStore, lot: dict[str, Any], quantity: float, user: str, reason: str | None) -> None:
    if quantity < 0:
        raise Problem(409, "quantity_below_zero", f"batch {lot['id']} holds {lot['quantity']} {lot['unit']}; "
                      f"the posting would leave {round(quantity, 6)} {lot['unit']}", available=lot["quantity"])
    old = lot["quantity"]
    lot["quantity"] = round(quantity, 6)
    store.touch(lot)
    store.audit.record(user, "lot_quantity_changed", "lot", lot["id"], {"quantity": (old, lot["quantity"])}, reason)


def post_movement(store: ErpStore, movement_type: str, material: str, lot_id: str, quantity: float, unit: str,
                  user: str, posting_date: str | None = None, production_order: str | None = None,
                  storage_location: str | None = None, reason: str | None = None,
                  expiry: str | None = None) -> dict[str, Any]:
    store.material(material)
    check_unit(unit)
    if movement_type not in POSTABLE:
        raise Problem(422, "movement_type", f"movement type {movement_type!r} cannot be posted here; use "
                      f"{', '.join(POSTABLE)} (status changes post 321/350/343/344 themselves)")
    if not quantity > 0:
        raise Problem(422, "quantity_not_positive", "quantity must be greater than zero")
    if movement_type == "101" and lot_id not in store.lots:
        order = _order(store, production_order, material, ("released", "confirmed")) if production_order else None
        lot = create_lot(store, lot_id, material, quantity, unit, user, "quarantine", expiry, storage_location,
                         order["id"] if order else None, reason)
        return record_transaction(store, "101", lot, lot["quantity"], lot["unit"], user, posting_date, reason,
                                  production_order=production_order, to_storage_location=lot["storage_location"],
                                  to_stock_type=lot["stock_type"])
    lot = get_lot(store, lot_id, 422)
    if lot["material"] != material:
        raise Problem(422, "lot_material_mismatch", f"batch {lot_id} is material {lot['material']}, not {material}")
    amount = convert(quantity, unit, lot["unit"])
    if not amount > 0:
        raise Problem(422, "quantity_not_positive", f"{quantity} {unit} is zero in the batch unit {lot['unit']}")
    fields: dict[str, Any] = {"from_storage_location": lot["storage_location"], "from_stock_type": lot["stock_type"]}
    if movement_type == "101":
        if production_order:
            _order(store, production_order, material, ("released", "confirmed"))
        if lot["status"] == "rejected":
            raise Problem(409, "lot_rejected", f"batch {lot_id} is rejected; no receipt into it")
        _set_quantity(store, lot, lot["quantity"] + amount, user, reason)
        fields = {"production_order": production_order, "to_storage_location": lot["storage_location"],
                  "to_stock_type": lot["stock_type"]}
    elif movement_type == "261":
        if lot["status"] != "released":
            raise Problem(409, "lot_not_released", f"batch {lot_id} is {lot['status']}; only released "
                          "(unrestricted) stock can be issued", status_now=lot["status"])
        _order(store, production_order, None, ("released",))
        _set_quantity(store, lot, lot["quantity"] - amount, user, reason)
        fields["production_order"] = production_order
    elif movement_type == "311":
        if not storage_location or storage_location == lot["storage_location"]:
            raise Problem(422, "storage_location", "a transfer needs a storage_location other than the current "
                          f"one ({lot['storage_location']})")
        if amount != lot["quantity"]:
            raise Problem(422, "partial_transfer", f"batch {lot_id} is kept in one storage location; transfer "
                          f"all {lot['quantity']} {lot['unit']}")
        lot["storage_location"] = storage_location
        store.touch(lot)
        store.audit.record(user, "lot_transferred", "lot", lot_id,
                           {"storage_location": (fields["from_storage_location"], storage_location)}, reason)
        fields["to_storage_location"] = storage_location
    else:
        if not reason:
            raise Problem(422, "reason_required", "an inventory adjustment (701/702) needs a reason")
        _set_quantity(store, lot, lot["quantity"] + (amount if movement_type == "701" else -amount), user, reason)
    return record_transaction(store, movement_type, lot, amount, lot["unit"], user, posting_date, reason, **fields)
