"""Creating material masters and bills of material, as SAP's MM01 and CS01 do.

A material number or BOM id that exists is a 409 (`material_exists`, `bom_exists`) whatever its content,
as SAP refuses to create an object twice; a caller that may be repeating itself reads the object and
compares. A product has one active production BOM: a second is a 409 `active_bom_exists` (its items are
changed with PATCH /boms/{id}, an engineering change that keeps the BOM's history in its versions).
"""

from __future__ import annotations

from typing import Any

from simulators.erp import seed
from simulators.erp.orders import bom_for, check_items, numbered
from simulators.erp.problems import Problem
from simulators.erp.requests import BomCreate, MaterialCreate
from simulators.erp.store import ErpStore, created
from simulators.erp.units import check_unit, convert


def create_material(store: ErpStore, body: MaterialCreate, user: str) -> dict[str, Any]:
    if body.id in store.materials:
        raise Problem(409, "material_exists", f"material {body.id!r} already exists in plant {seed.PLANT}",
                      material=body.id)
    check_unit(body.base_unit)
    material = seed.material({"id": body.id, "name": body.name, "class": body.material_class,
                              "unit": body.base_unit})
    store.materials[body.id] = material
    store.emit("material_created", user, "material", body.id, material,
               created(material, "name", "material_type", "base_unit"), body.reason)
    return material


def create_bom(store: ErpStore, body: BomCreate, user: str) -> dict[str, Any]:
    product = store.material(body.material)
    bom_id = body.id or f"BOM-{body.material}"
    if bom_id in store.boms:
        raise Problem(409, "bom_exists", f"bill of material {bom_id!r} already exists", bom=bom_id)
    if (active := bom_for(store, body.material)) is not None:
        raise Problem(409, "active_bom_exists", f"material {body.material} already has the active BOM "
                      f"{active['id']}; change its items with PATCH /boms/{active['id']}", bom=active["id"])
    items = [i.model_dump() for i in body.items]
    check_items(store, items)
    base = convert(body.base_quantity, body.base_unit or product["base_unit"], product["base_unit"])
    bom = {"id": bom_id, "material": body.material, "product": body.material, "plant": product["plant"],
           "usage": "1", "alternative": "1", "base_quantity": base, "base_unit": product["base_unit"],
           "status": "active", "items": numbered(items), "changed_at": store.now(), "version": 1}
    store.boms[bom_id] = bom
    store.emit("bom_created", user, "bom", bom_id, bom, created(bom, "material", "base_quantity", "status"),
               body.reason)
    return bom
