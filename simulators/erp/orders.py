"""Production orders (CRTD -> REL -> CNF -> TECO/closed) and bills of material.

An order copies its components from the product's BOM, scaled to the order quantity, as SAP
explodes the BOM into reservations when the order is created.
"""

from __future__ import annotations

from typing import Any

from simulators import reference
from simulators.erp.problems import Problem
from simulators.erp.store import ErpStore, created
from simulators.erp.units import convert

ORDER_STATUSES = ("created", "released", "confirmed", "closed")
NEXT_STATUS = {"created": "released", "released": "confirmed", "confirmed": "closed"}


def get_order(store: ErpStore, order_id: str) -> dict[str, Any]:
    if order_id not in store.orders:
        raise Problem(404, "unknown_order", f"production order {order_id!r} does not exist")
    return store.orders[order_id]


def bom_for(store: ErpStore, material: str) -> dict[str, Any] | None:
    return next((b for b in store.boms.values() if b["material"] == material and b["status"] == "active"), None)


def create_order(store: ErpStore, material_id: str, batch_id: str, quantity: float, unit: str, user: str,
                 lot_id: str | None = None) -> dict[str, Any]:
    material = store.material(material_id)
    quantity = convert(quantity, unit, material["base_unit"])
    if not quantity > 0:
        raise Problem(422, "quantity_not_positive", "order quantity must be greater than zero")
    bom = bom_for(store, material_id)
    factor = quantity / bom["base_quantity"] if bom else 0.0
    order = {"id": store.number("production_order", 1_000_000), "material": material_id, "plant": material["plant"],
             "batch_id": batch_id, "lot": lot_id or reference.lot_for_batch(batch_id), "quantity": quantity,
             "unit": material["base_unit"], "status": "created", "bom": bom and bom["id"],
             "components": [{"item": i["item"], "material": i["material"], "quantity": round(i["quantity"] * factor, 6),
                             "unit": i["unit"]} for i in (bom["items"] if bom else [])],
             "created_at": store.now(), "changed_at": store.now(), "version": 1}
    store.orders[order["id"]] = order
    store.emit("production_order_created", user, "production_order", order["id"], order,
               created(order, "material", "batch_id", "lot", "quantity", "status"))
    return order


def change_order_status(store: ErpStore, order: dict[str, Any], status: str, user: str,
                        reason: str | None) -> dict[str, Any]:
    if NEXT_STATUS.get(order["status"]) != status:
        allowed = NEXT_STATUS.get(order["status"])
        raise Problem(409, "order_status_transition", f"order {order['id']} is {order['status']}; "
                      + (f"the next status is {allowed}" if allowed else "it is closed"), status_now=order["status"])
    old = order["status"]
    order["status"] = status
    store.touch(order)
    store.emit("production_order_status_changed", user, "production_order", order["id"], order,
               {"status": (old, status)}, reason)
    return order


def check_items(store: ErpStore, items: list[dict[str, Any]]) -> None:
    """Every component is a material of the plant, in a unit convertible to its base unit."""
    for item in items:
        store.material(item["material"])
        convert(item["quantity"], item["unit"], store.materials[item["material"]]["base_unit"])


def numbered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BOM items as SAP numbers them: 0010, 0020, ..."""
    return [{"item": f"{10 * (n + 1):04d}", "material": i["material"], "quantity": i["quantity"], "unit": i["unit"]}
            for n, i in enumerate(items)]


def change_bom(store: ErpStore, bom: dict[str, Any], items: list[dict[str, Any]], user: str,
               reason: str, base_quantity: float | None = None, base_unit: str | None = None) -> dict[str, Any]:
    check_items(store, items)
    changes: dict[str, tuple[Any, Any]] = {}
    if base_quantity is not None:
        base = convert(base_quantity, base_unit or bom["base_unit"], bom["base_unit"])
        if base != bom["base_quantity"]:
            changes["base_quantity"] = (bom["base_quantity"], base)
            bom["base_quantity"] = base
    old = bom["items"]
    bom["items"] = numbered(items)
    store.touch(bom)
    store.emit("bom_changed", user, "bom", bom["id"], bom, {"items": (old, bom["items"]), **changes}, reason)
    return bom
