"""Creating materials and BOMs in the ERP: SAP's once-only rules, unit conversion, change feed and documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from simulators.common.base import SimContext
from simulators.erp.masterdata import create_bom, create_material
from simulators.erp.orders import change_bom, create_order
from simulators.erp.problems import Problem
from simulators.erp.requests import BomCreate, MaterialCreate
from simulators.erp.store import ErpStore

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> ErpStore:
    return ErpStore(SimContext("erp", tmp_path))


def problem(status: int, code: str) -> pytest.RaisesExc[Problem]:
    return pytest.raises(Problem, check=lambda p: (p.status, p.code) == (status, code))


def material(**changes: object) -> MaterialCreate:
    return MaterialCreate.model_validate({"id": "MAT-IL2", "name": "Interleukin-2", "material_class": "raw_material",
                                          "base_unit": "mL", "reason": "tech transfer TT-1", **changes})


def bom(**changes: object) -> BomCreate:
    return BomCreate.model_validate({"material": "MAT-X19", "base_quantity": 0.14, "base_unit": "L",
                                     "items": [{"material": "MAT-IL2", "quantity": 2.0, "unit": "mL"},
                                               {"material": "MAT-MED", "quantity": 5000.0, "unit": "mL"}],
                                     "reason": "tech transfer TT-1", **changes})


def test_a_material_is_created_once_with_its_sap_type_and_documented(store: ErpStore) -> None:
    created = create_material(store, material(), "RFC_GXP")
    assert created == {"id": "MAT-IL2", "name": "Interleukin-2", "material_class": "raw_material",
                       "material_type": "ROH", "base_unit": "mL", "plant": "CAM"}
    assert store.changes[-1]["type"] == "material_created" and store.changes[-1]["reason"] == "tech transfer TT-1"
    entries = [e for e in store.audit.since(0) if e.record_type == "material"]
    assert {(e.field, e.new) for e in entries} == {("name", "Interleukin-2"), ("material_type", "ROH"),
                                                   ("base_unit", "mL")}
    with problem(409, "material_exists"):
        create_material(store, material(), "RFC_GXP")
    assert create_material(store, material(id="MAT-INT", material_class="intermediate"), "u")["material_type"] == \
        "HALB"


def test_a_material_needs_a_unit_the_erp_knows(store: ErpStore) -> None:
    with pytest.raises(ValidationError):
        material(name="bad\x00name")
    with problem(422, "unknown_unit"):
        create_material(store, material(base_unit="[pH]"), "u")


def test_a_bom_is_created_in_the_products_units_and_exploded(store: ErpStore) -> None:
    create_material(store, material(), "u")
    create_material(store, material(id="MAT-X19", name="X19 product", material_class="final_product"), "u")
    made = create_bom(store, bom(), "RFC_GXP")
    assert (made["id"], made["base_quantity"], made["base_unit"], made["status"]) == ("BOM-MAT-X19", 140.0, "mL",
                                                                                       "active")
    assert [(i["item"], i["material"]) for i in made["items"]] == [("0010", "MAT-IL2"), ("0020", "MAT-MED")]
    assert store.changes[-1]["type"] == "bom_created"
    order = create_order(store, "MAT-X19", "B-X19-1", 280.0, "mL", "u")
    assert [c["quantity"] for c in order["components"]] == [4.0, 10000.0]


def test_one_active_bom_per_product_and_ids_are_unique(store: ErpStore) -> None:
    create_material(store, material(), "u")
    with problem(409, "active_bom_exists"):
        create_bom(store, bom(material="MAT-CART", id="BOM-CART-2"), "u")
    with problem(409, "bom_exists"):
        create_bom(store, bom(material="MAT-CART", id="BOM-MAT-CART"), "u")
    with problem(422, "unknown_material"):
        create_bom(store, bom(), "u")
    with problem(422, "unit_mismatch"):
        create_material(store, material(id="MAT-X19", name="X19", material_class="final_product"), "u")
        create_bom(store, bom(base_unit="{each}"), "u")


def test_a_bom_change_may_move_its_base_quantity(store: ErpStore) -> None:
    current = store.boms["BOM-MAT-CART"]
    items = [{"material": i["material"], "quantity": i["quantity"], "unit": i["unit"]} for i in current["items"]]
    change_bom(store, current, items, "u", "batch size 280 mL", 0.28, "L")
    assert current["base_quantity"] == 280.0 and current["version"] == 2
    assert store.changes[-1]["changes"]["base_quantity"] == {"old": 140.0, "new": 280.0}
