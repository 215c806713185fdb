"""Scenario actions (admin endpoint): what a user does in the ERP UI, without HTTP or ETags.

A QA user deciding in the UI always sees the current batch, so `usage_decision` needs no ETag;
an integration using the API does. Business-rule violations come back as ValueError (admin 422).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from simulators.common.base import Action
from simulators.erp.concurrency import etag, with_etag
from simulators.erp.lots import DECISIONS, create_lot, get_lot, post_usage_decision
from simulators.erp.movements import post_movement
from simulators.erp.orders import ORDER_STATUSES, change_order_status, create_order, get_order
from simulators.erp.problems import Problem
from simulators.erp.store import ErpStore

UI_USER = "ERP_UI"

def _action(store: ErpStore, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Action:
    @functools.wraps(fn)
    async def run(params: dict[str, Any]) -> dict[str, Any]:
        try:
            result = fn(params)
        except Problem as exc:
            raise ValueError(f"HTTP {exc.status} {exc.code}: {exc.detail}") from exc
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
        store.save()
        return result
    return run

def _lot_summary(lot: dict[str, Any]) -> dict[str, Any]:
    return {**with_etag(lot), "etag": etag(lot)}

def erp_actions(store: ErpStore) -> dict[str, Action]:
    def new_lot(p: dict[str, Any]) -> dict[str, Any]:
        if p["lot_id"] in store.lots:
            return {**_lot_summary(store.lots[p["lot_id"]]), "created": False}
        lot = create_lot(store, p["lot_id"], p["material"], float(p["quantity"]), p["unit"], p.get("user", UI_USER),
                         p.get("status", "quarantine"), p.get("expiry"))
        return {**_lot_summary(lot), "created": True}

    def new_order(p: dict[str, Any]) -> dict[str, Any]:
        existing = next((o for o in store.orders.values() if o["batch_id"] == p["batch_id"]), None)
        order = existing or create_order(store, p.get("material", "MAT-CART"), p["batch_id"],
                                         float(p.get("quantity", 140.0)), p.get("unit", "mL"),
                                         p.get("user", UI_USER), p.get("lot_id"))
        if existing is None and p.get("release", True):
            change_order_status(store, order, "released", p.get("user", UI_USER), "released on creation")
        return {**with_etag(order), "etag": etag(order), "created": existing is None}

    def order_status(p: dict[str, Any]) -> dict[str, Any]:
        order_id = p.get("order_id") or next((o["id"] for o in store.orders.values()
                                              if o["batch_id"] == p["batch_id"]), "")
        if p["status"] not in ORDER_STATUSES:
            raise ValueError(f"status must be one of {ORDER_STATUSES}")
        order = change_order_status(store, get_order(store, order_id), p["status"], p.get("user", UI_USER),
                                    p.get("reason"))
        return {**with_etag(order), "etag": etag(order)}

    def goods_receipt(p: dict[str, Any]) -> dict[str, Any]:
        lot = store.lots.get(p["lot_id"])
        order = store.orders.get(p.get("production_order") or "")
        material = p.get("material") or (lot and lot["material"]) or (order and order["material"])
        if not material:
            raise ValueError("material is needed for a receipt into a new batch")
        return post_movement(store, "101", material, p["lot_id"], float(p["quantity"]), p["unit"],
                             p.get("user", UI_USER), p.get("posting_date"), p.get("production_order"),
                             p.get("storage_location"), p.get("reason"), p.get("expiry"))

    def lot(p: dict[str, Any]) -> dict[str, Any]:
        return _lot_summary(get_lot(store, p["lot_id"]))

    def usage_decision(p: dict[str, Any]) -> dict[str, Any]:
        if p["decision"] not in DECISIONS:
            raise ValueError(f"decision must be one of {sorted(DECISIONS)}")
        target = get_lot(store, p["lot_id"])
        ud = post_usage_decision(store, target, p["decision"], p.get("reason") or "usage decision",
                                 p.get("user", UI_USER), p.get("esignature_ref"))
        return {"usage_decision": ud, "lot": _lot_summary(target)}

    named: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "create_lot": new_lot, "create_production_order": new_order, "production_order_status": order_status,
        "post_goods_receipt": goods_receipt, "lot": lot, "usage_decision": usage_decision}
    return {name: _action(store, fn) for name, fn in named.items()}
