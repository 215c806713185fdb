"""An in-memory ERP for unit and contract tests, keeping the real one's rules where the adapter relies on them.

Batches with versions and strong ETags (428 without If-Match, 412 when stale), usage decisions with the
stock-type posting right after the status change, goods movements, production orders, a change feed
(optionally delivering every record twice) and change documents. `down` makes every call fail as an
unreachable ERP does. Its BOM is BOM-FAKE-CART, so its events never share an id with the simulator's.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from adapters.erp.api import Record, Reply
from messaging.errors import RetryableError

STOCK_TYPES = {"released": "unrestricted", "quarantine": "quality_inspection", "blocked": "blocked",
               "rejected": "blocked"}
STOCK_MOVES = {("quality_inspection", "unrestricted"): "321", ("unrestricted", "quality_inspection"): "322",
               ("blocked", "unrestricted"): "343", ("unrestricted", "blocked"): "344",
               ("blocked", "quality_inspection"): "349", ("quality_inspection", "blocked"): "350"}
DECISIONS = {"accept": "released", "reject": "rejected", "block": "blocked"}


class FakeErp:
    url = "fake://erp"

    def __init__(self) -> None:
        self.lots: dict[str, Record] = {}
        self.orders: dict[str, Record] = {}
        self.bills: dict[str, Record] = {"BOM-FAKE-CART": {
            "id": "BOM-FAKE-CART", "material": "MAT-CART", "status": "active", "base_quantity": 140.0, "version": 1,
            "changed_at": _now(), "items": [{"item": "0010", "material": "MAT-LVV", "quantity": 2.0, "unit": "mL"}]}}
        self.materials: dict[str, Record] = {m["id"]: m for m in (
            {"id": "MAT-CART", "name": "CART-19 drug product", "material_class": "final_product",
             "material_type": "FERT", "base_unit": "mL", "plant": "CAM"},
            {"id": "MAT-LVV", "name": "Anti-CD19 CAR lentiviral vector", "material_class": "raw_material",
             "material_type": "ROH", "base_unit": "mL", "plant": "CAM"})}
        self.documents: list[Record] = []
        self.feed: list[Record] = []
        self.entries: list[Record] = []
        self.down = self.duplicate = False
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise RetryableError("fake ERP is down")

    def emit(self, kind: str, user: str, object_type: str, object_id: str, snapshot: Record,
             changes: dict[str, tuple[Any, Any]] | None = None, reason: str | None = None) -> Record:
        at = _now()
        record = {"seq": len(self.feed) + 1, "type": kind, "at": at, "user": user, "object_type": object_type,
                  "object_id": object_id, "changes": {f: {"old": o, "new": n} for f, (o, n) in (changes or {}).items()},
                  "reason": reason, "data": copy.deepcopy(snapshot)}
        self.feed.append(record)
        for field, (old, new) in (changes or {None: (None, None)}).items():  # type: ignore[dict-item]
            self.entries.append({"seq": len(self.entries) + 1, "at": at, "user": user, "action": kind,
                                 "record_type": object_type, "record_id": object_id, "field": field, "old": old,
                                 "new": new, "reason": reason})
        return record

    def add_lot(self, lot_id: str, material: str = "MAT-LVV", status: str = "quarantine", quantity: float = 10.0,
                unit: str = "mL", production_order: str | None = None, user: str = "ERP_UI") -> Record:
        lot = {"id": lot_id, "material": material, "plant": "CAM", "storage_location": "1000", "status": status,
               "stock_type": STOCK_TYPES.get(status, "blocked"), "quantity": quantity, "unit": unit,
               "expiry": None, "production_order": production_order, "created_at": _now(), "changed_at": _now(),
               "version": 1}
        self.lots[lot_id] = lot
        self.emit("lot_created", user, "lot", lot_id, lot, {"status": (None, status), "quantity": (None, quantity)})
        return lot

    def decide(self, lot_id: str, decision: str, user: str = "ERP_UI", reason: str = "decided in the ERP") -> Record:
        """A usage decision in the ERP UI (no ETag: the user sees the current batch)."""
        lot, new = self.lots[lot_id], DECISIONS[decision]
        ud = {"id": str(10_000_000_001 + sum(1 for r in self.feed if r["type"] == "usage_decision_posted")),
              "lot": lot_id, "material": lot["material"], "decision": decision, "status_before": lot["status"],
              "status_after": new, "reason": reason, "user": user, "decided_at": _now(), "esignature_ref": None}
        self.emit("usage_decision_posted", user, "usage_decision", ud["id"], ud, {"lot": (None, lot_id)}, reason)
        old, old_type = lot["status"], lot["stock_type"]
        lot.update(status=new, stock_type=STOCK_TYPES[new])
        self._touch(lot)
        self.emit("lot_status_changed", user, "lot", lot_id, lot, {"status": (old, new)}, reason)
        move = STOCK_MOVES.get((old_type, lot["stock_type"]))
        if move:
            self._document(move, lot, lot["quantity"], user, from_stock_type=old_type, to_stock_type=lot["stock_type"])
        return ud

    def _touch(self, lot: Record) -> None:
        lot["version"] += 1
        lot["changed_at"] = _now()

    def _document(self, movement_type: str, lot: Record, quantity: float, user: str, **fields: Any) -> Record:
        doc = {"id": str(4_900_000_001 + len(self.documents)), "movement_type": movement_type,
               "material": lot["material"], "lot": lot["id"], "quantity": quantity, "unit": lot["unit"],
               "entered_at": _now(), "user": user, "production_order": None, "from_storage_location": None,
               "to_storage_location": None, **fields}
        self.documents.append(doc)
        self.emit("inventory_transaction_posted", user, "inventory_transaction", doc["id"], doc,
                  {"movement_type": (None, movement_type)})
        return doc

    async def changes(self, after: int, limit: int) -> tuple[list[Record], int]:
        self._call("changes")
        records = [r for r in self.feed if r["seq"] > after][:limit]
        delivered = [r for r in records for _ in range(2 if self.duplicate else 1)]
        return copy.deepcopy(delivered), records[-1]["seq"] if records else after

    async def audit(self, after: int, limit: int) -> tuple[list[Record], int]:
        self._call("audit")
        entries = [e for e in self.entries if e["seq"] > after][:limit]
        return copy.deepcopy(entries), entries[-1]["seq"] if entries else after

    async def lot_changes(self, lot_id: str) -> list[Record]:
        self._call("lot_changes")
        return [e for e in self.entries if e["record_type"] == "lot" and e["record_id"] == lot_id]

    async def boms(self) -> list[Record]:
        self._call("boms")
        return [{"@odata.etag": f'"{b["version"]}"', **b} for b in self.bills.values()]

    async def lot(self, lot_id: str) -> Record | None:
        self._call("lot")
        lot = self.lots.get(lot_id)
        return {"@odata.etag": f'"{lot["version"]}"', **copy.deepcopy(lot)} if lot else None

    async def production_order(self, order_id: str) -> Record | None:
        self._call("production_order")
        return copy.deepcopy(self.orders.get(order_id))

    async def production_orders_for_batch(self, batch_id: str) -> list[Record]:
        self._call("production_orders_for_batch")
        return [copy.deepcopy(o) for o in self.orders.values() if o["batch_id"] == batch_id]

    async def transactions(self, lot_id: str, movement_type: str) -> list[Record]:
        self._call("transactions")
        return [d for d in self.documents if d["lot"] == lot_id and d["movement_type"] == movement_type]

    async def post_usage_decision(self, lot_id: str, body: Record, if_match: str) -> Reply:
        self._call("post_usage_decision")
        lot = self.lots.get(lot_id)
        if lot is None:
            return _problem(404, "unknown_lot", f"batch {lot_id!r} does not exist")
        if not if_match:
            return _problem(428, "if_match_required", f"changing batch {lot_id} requires If-Match")
        if if_match != f'"{lot["version"]}"':
            return _problem(412, "etag_mismatch", f"batch {lot_id} was changed by someone else")
        if lot["status"] in (DECISIONS[body["decision"]], "rejected"):
            return _problem(409, "status_unchanged" if lot["status"] != "rejected" else "lot_rejected",
                            f"batch {lot_id} is {lot['status']}")
        ud = self.decide(lot_id, body["decision"], body.get("user", "RFC_FAKE"), body["reason"])
        return Reply(201, {"usage_decision": ud, "lot": await self.lot(lot_id)}, f'"{lot["version"]}"')

    async def post_inventory_transaction(self, body: Record) -> Reply:
        self._call("post_inventory_transaction")
        lot = self.lots.get(body["lot"])
        if body["movement_type"] in ("701", "702") and not body.get("reason"):
            return _problem(422, "reason_required", "an inventory adjustment (701/702) needs a reason")
        if lot is None and body["movement_type"] == "101":
            lot = self.add_lot(body["lot"], body["material"], quantity=0.0, unit=body["unit"])
        if lot is None:
            return _problem(422, "unknown_lot", f"batch {body['lot']!r} does not exist")
        if body["movement_type"] == "261" and body.get("production_order") not in self.orders:
            return _problem(422, "unknown_order", f"production order {body.get('production_order')!r} does not exist")
        sign = -1 if body["movement_type"] in ("261", "702") else 1 if body["movement_type"] != "311" else 0
        if lot["quantity"] + sign * body["quantity"] < 0:
            return _problem(409, "quantity_below_zero", f"batch {lot['id']} holds {lot['quantity']}")
        lot["quantity"] += sign * body["quantity"]
        self._touch(lot)
        user = body.get("user", "RFC_FAKE")
        self.entries.append({"seq": len(self.entries) + 1, "at": _now(), "user": user, "action": "lot_quantity_changed",
                             "record_type": "lot", "record_id": lot["id"], "field": "quantity", "old": None,
                             "new": lot["quantity"], "reason": body.get("reason")})
        doc = self._document(body["movement_type"], lot, body["quantity"], user,
                             production_order=body.get("production_order"), from_storage_location="1000")
        return Reply(201, copy.deepcopy(doc))

    async def post_production_order(self, body: Record) -> Reply:
        self._call("post_production_order")
        order = {"id": str(1_000_001 + len(self.orders)), "material": body["material"], "batch_id": body["batch_id"],
                 "lot": f"L-{body['batch_id']}", "quantity": body["quantity"], "unit": body["unit"],
                 "status": "created", "bom": "BOM-FAKE-CART", "created_at": _now(), "version": 1}
        self.orders[order["id"]] = order
        self.emit("production_order_created", body.get("user", "RFC_FAKE"), "production_order", order["id"], order)
        return Reply(201, copy.deepcopy(order), '"1"')

    async def material(self, material_id: str) -> Record | None:
        self._call("material")
        return copy.deepcopy(self.materials.get(material_id))

    async def post_material(self, body: Record) -> Reply:
        self._call("post_material")
        if body["id"] in self.materials:
            return _problem(409, "material_exists", f"material {body['id']!r} already exists")
        material = {"id": body["id"], "name": body["name"], "material_class": body["material_class"],
                    "material_type": "ROH", "base_unit": body["base_unit"], "plant": "CAM"}
        self.materials[body["id"]] = material
        self.emit("material_created", body.get("user", "RFC_FAKE"), "material", body["id"], material,
                  {"base_unit": (None, body["base_unit"])}, body.get("reason"))
        return Reply(201, copy.deepcopy(material))

    async def bom(self, bom_id: str) -> Record | None:
        self._call("bom")
        bill = self.bills.get(bom_id)
        return {"@odata.etag": f'"{bill["version"]}"', **copy.deepcopy(bill)} if bill else None

    async def post_bom(self, body: Record) -> Reply:
        self._call("post_bom")
        bom_id = body.get("id") or f"BOM-{body['material']}"
        if bom_id in self.bills:
            return _problem(409, "bom_exists", f"bill of material {bom_id!r} already exists")
        if body["material"] not in self.materials:
            return _problem(422, "unknown_material", f"material {body['material']!r} does not exist in plant")
        if any(b["material"] == body["material"] and b["status"] == "active" for b in self.bills.values()):
            return _problem(409, "active_bom_exists", f"material {body['material']} already has an active BOM")
        bill = {"id": bom_id, "material": body["material"], "status": "active", "base_quantity": body["base_quantity"],
                "base_unit": body.get("base_unit") or "mL", "version": 1, "changed_at": _now(),
                "items": _items(body["items"])}
        self.bills[bom_id] = bill
        self.emit("bom_created", body.get("user", "RFC_FAKE"), "bom", bom_id, bill, None, body.get("reason"))
        return Reply(201, await self.bom(bom_id), '"1"')

    async def patch_bom(self, bom_id: str, body: Record, if_match: str) -> Reply:
        self._call("patch_bom")
        bill = self.bills.get(bom_id)
        if bill is None:
            return _problem(404, "unknown_bom", f"bill of material {bom_id!r} does not exist")
        if if_match != f'"{bill["version"]}"':
            return _problem(412, "etag_mismatch", f"BOM {bom_id} was changed by someone else")
        old = bill["items"]
        bill["items"] = _items(body["items"])
        if body.get("base_quantity") is not None:
            bill["base_quantity"] = body["base_quantity"]
        bill["version"] += 1
        self.emit("bom_changed", body.get("user", "RFC_FAKE"), "bom", bom_id, bill, {"items": (old, bill["items"])},
                  body.get("reason"))
        return Reply(200, await self.bom(bom_id), f'"{bill["version"]}"')

    async def probe(self) -> bool:
        return not self.down

    async def close(self) -> None:
        return None


def _items(items: list[Record]) -> list[Record]:
    return [{"item": f"{10 * (n + 1):04d}", "material": i["material"], "quantity": i["quantity"], "unit": i["unit"]}
            for n, i in enumerate(items)]


def _problem(status: int, code: str, detail: str) -> Reply:
    return Reply(status, {"status": status, "code": code, "detail": detail})


def _now() -> str:
    return datetime.now(UTC).isoformat()
