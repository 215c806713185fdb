"""The ERP's opening balance, taken from the reference plant so ids agree with MES, LIMS and QMS."""

from __future__ import annotations

from typing import Any

from simulators import reference

# SAP material types: ROH raw material, VERP packaging, FERT finished product
MATERIAL_TYPES = {"starting_material": "ROH", "raw_material": "ROH", "intermediate": "HALB", "consumable": "VERP",
                  "packaging": "VERP", "final_product": "FERT"}
STOCK_TYPES = {"released": "unrestricted", "quarantine": "quality_inspection", "blocked": "blocked",
               "rejected": "blocked"}
PLANT, STORAGE_LOCATION = reference.SITE["id"], "1000"
PRODUCT_MATERIAL = "MAT-CART"
BOM_BASE_QUANTITY = 140.0  # two 70 mL infusion bags per batch


def material(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "name": item["name"], "material_class": item["class"],
            "material_type": MATERIAL_TYPES.get(item["class"], "ROH"), "base_unit": item["unit"], "plant": PLANT}


def lot(lot_id: str, material_id: str, status: str, quantity: float, unit: str, now: str,
        expiry: str | None = None, storage_location: str = STORAGE_LOCATION,
        production_order: str | None = None) -> dict[str, Any]:
    return {"id": lot_id, "material": material_id, "plant": PLANT, "storage_location": storage_location,
            "status": status, "stock_type": STOCK_TYPES[status], "quantity": quantity, "unit": unit,
            "expiry": expiry, "production_order": production_order, "created_at": now, "changed_at": now,
            "version": 1}


def bom(now: str) -> dict[str, Any]:
    items = [{"item": f"{10 * (i + 1):04d}", "material": c["material"], "quantity": c["quantity"], "unit": c["unit"]}
             for i, c in enumerate(reference.BOM)]
    return {"id": f"BOM-{PRODUCT_MATERIAL}", "material": PRODUCT_MATERIAL, "product": reference.PRODUCT["code"],
            "plant": PLANT, "usage": "1", "alternative": "1", "base_quantity": BOM_BASE_QUANTITY, "base_unit": "mL",
            "status": "active", "items": items, "changed_at": now, "version": 1}


def seed_document(now: str) -> dict[str, Any]:
    """The first state of a fresh data dir; the seeded lots also open the change feed (see ErpStore)."""
    bill = bom(now)
    return {
        "materials": {m["id"]: material(m) for m in reference.MATERIALS},
        "lots": {x["id"]: lot(x["id"], x["material"], x["status"], x["quantity"], x["unit"], now, x.get("expiry"))
                 for x in reference.LOTS},
        "boms": {bill["id"]: bill},
        "orders": {}, "usage_decisions": [], "transactions": [], "changes": [],
    }
