"""The ERP's business rules, change feed and change documents, without HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators import reference
from simulators.common.base import SimContext
from simulators.erp.concurrency import require_match
from simulators.erp.lots import change_status, create_lot, post_usage_decision
from simulators.erp.movements import post_movement
from simulators.erp.orders import change_bom, change_order_status, create_order
from simulators.erp.problems import Problem
from simulators.erp.store import ErpStore

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> ErpStore:
    return ErpStore(SimContext("erp", tmp_path))


def problem(status: int, code: str) -> pytest.RaisesExc[Problem]:
    return pytest.raises(Problem, check=lambda p: (p.status, p.code) == (status, code))


def test_seed_follows_the_reference_plant_and_opens_the_feed(store: ErpStore) -> None:
    assert set(store.materials) == {m["id"] for m in reference.MATERIALS}
    assert {lot_id: lot["status"] for lot_id, lot in store.lots.items()} == {x["id"]: x["status"] for x in
                                                                            reference.LOTS}
    assert [i["material"] for i in store.boms["BOM-MAT-CART"]["items"]] == [b["material"] for b in reference.BOM]
    assert [c["type"] for c in store.changes] == ["lot_created"] * len(reference.LOTS)
    assert store.audit.since(0)[0].user == "DDIC"


def test_usage_decision_releases_and_posts_the_stock_transfer(store: ErpStore) -> None:
    lot = create_lot(store, "L-B1", "MAT-CART", 140, "mL", "RFC")
    ud = post_usage_decision(store, lot, "accept", "all tests passed", "qa.mlee", "ESIG-1")
    assert (ud["code"], ud["status_before"], ud["status_after"]) == ("A", "quarantine", "released")
    assert (lot["status"], lot["stock_type"], lot["version"]) == ("released", "unrestricted", 2)
    kinds = [c["type"] for c in store.changes_after(len(reference.LOTS), 10)]
    assert kinds == ["lot_created", "usage_decision_posted", "lot_status_changed", "inventory_transaction_posted"]
    assert store.transactions[-1]["movement_type"] == "321"
    status_doc = [e for e in store.audit.since(0) if e.field == "status" and e.record_id == "L-B1"][-1]
    assert (status_doc.user, status_doc.old, status_doc.new, status_doc.reason) == \
        ("qa.mlee", "quarantine", "released", "all tests passed")


def test_a_rejected_lot_stays_rejected(store: ErpStore) -> None:
    lot = store.lots["MED-24-331"]
    post_usage_decision(store, lot, "reject", "sterility failure", "qa.mlee")
    with problem(409, "lot_rejected"):
        post_usage_decision(store, lot, "accept", "second opinion", "qa.mlee")
    with problem(409, "lot_rejected"):
        change_status(store, lot, "quarantine", "qa.mlee", "retest")
    with problem(409, "status_unchanged"):
        change_status(store, store.lots["LVV-24-017"], "released", "qa.mlee", "again")


def test_expired_lot_cannot_be_released(store: ErpStore) -> None:
    lot = create_lot(store, "OLD-1", "MAT-LVV", 1, "mL", "RFC", expiry="2001-01-01")
    with problem(409, "lot_expired"):
        post_usage_decision(store, lot, "accept", "ok", "qa.mlee")


def test_goods_issue_needs_a_released_lot_a_released_order_and_stock(store: ErpStore) -> None:
    order = create_order(store, "MAT-CART", "B1", 140, "mL", "RFC")
    assert order["lot"] == reference.lot_for_batch("B1") and len(order["components"]) == len(reference.BOM)
    with problem(409, "order_status"):
        post_movement(store, "261", "MAT-LVV", "LVV-24-017", 2, "mL", "RFC", production_order=order["id"])
    change_order_status(store, order, "released", "RFC", None)
    with problem(409, "lot_not_released"):
        post_movement(store, "261", "MAT-MED", "MED-24-331", 1, "L", "RFC", production_order=order["id"])
    with problem(409, "quantity_below_zero"):
        post_movement(store, "261", "MAT-LVV", "LVV-24-017", 41, "mL", "RFC", production_order=order["id"])
    with problem(422, "order_required"):
        post_movement(store, "261", "MAT-LVV", "LVV-24-017", 2, "mL", "RFC")
    doc = post_movement(store, "261", "MAT-MED", "MED-24-330", 500, "mL", "RFC", production_order=order["id"])
    assert (doc["id"], doc["quantity"], doc["unit"]) == ("4900000001", 0.5, "L")
    assert store.lots["MED-24-330"]["quantity"] == 59.5


def test_input_that_no_posting_accepts(store: ErpStore) -> None:
    with problem(422, "unknown_material"):
        post_movement(store, "101", "MAT-NOPE", "X-1", 1, "mL", "RFC")
    with problem(422, "unit_mismatch"):
        post_movement(store, "701", "MAT-LVV", "LVV-24-017", 1, "g", "RFC", reason="count")
    with problem(422, "unknown_unit"):
        post_movement(store, "701", "MAT-LVV", "LVV-24-017", 1, "furlong", "RFC", reason="count")
    with problem(422, "quantity_not_positive"):
        post_movement(store, "701", "MAT-LVV", "LVV-24-017", -1, "mL", "RFC", reason="count")
    with problem(409, "quantity_below_zero"):
        post_movement(store, "702", "MAT-LVV", "LVV-24-017", 40.5, "mL", "RFC", reason="count")
    with problem(422, "lot_material_mismatch"):
        post_movement(store, "701", "MAT-MED", "LVV-24-017", 1, "L", "RFC", reason="count")
    with problem(422, "partial_transfer"):
        post_movement(store, "311", "MAT-LVV", "LVV-24-017", 1, "mL", "RFC", storage_location="2000")


def test_goods_receipt_creates_a_quarantined_lot_then_adds_to_it(store: ErpStore) -> None:
    post_movement(store, "101", "MAT-TXA", "TXA-25-001", 10, "mL", "RFC", expiry="2028-01-31")
    post_movement(store, "101", "MAT-TXA", "TXA-25-001", 0.005, "L", "RFC")
    lot = store.lots["TXA-25-001"]
    assert (lot["status"], lot["quantity"], lot["expiry"], lot["version"]) == ("quarantine", 15.0, "2028-01-31", 2)


def test_order_and_bom_changes_are_versioned_and_fed(store: ErpStore) -> None:
    order = create_order(store, "MAT-CART", "B2", 70, "mL", "RFC")
    assert order["components"][0]["quantity"] == 100.0  # half the 140 mL BOM base: 100 of 200 mL apheresis
    with problem(409, "order_status_transition"):
        change_order_status(store, order, "closed", "RFC", None)
    for status in ("released", "confirmed", "closed"):
        change_order_status(store, order, status, "RFC", None)
    assert order["version"] == 4
    bom = store.boms["BOM-MAT-CART"]
    change_bom(store, bom, [{"material": "MAT-LVV", "quantity": 3.0, "unit": "mL"}], "eng", "ECN-1")
    assert store.changes[-1]["type"] == "bom_changed" and bom["version"] == 2


def test_if_match_is_required_and_must_be_current(store: ErpStore) -> None:
    lot = store.lots["MED-24-331"]
    with problem(428, "if_match_required"):
        require_match(None, lot, "batch")
    with problem(412, "etag_mismatch"):
        require_match('"7"', lot, "batch")
    with problem(412, "etag_mismatch"):
        require_match('W/"1"', lot, "batch")  # weak tags never match strongly (RFC 9110)
    require_match('"0", "1"', lot, "batch")
    require_match("*", lot, "batch")


def test_restart_keeps_state_counters_and_audit(tmp_path: Path) -> None:
    first = ErpStore(SimContext("erp", tmp_path))
    post_usage_decision(first, first.lots["MED-24-331"], "accept", "ok", "qa.mlee")
    first.save()
    second = ErpStore(SimContext("erp", tmp_path))
    assert second.lots["MED-24-331"]["status"] == "released" and second.lots["MED-24-331"]["version"] == 2
    assert second.changes == first.changes and len(second.audit.since(0)) == len(first.audit.since(0))
    create_lot(second, "N-1", "MAT-LVV", 1, "mL", "RFC")
    assert second.changes[-1]["seq"] == first.changes[-1]["seq"] + 1
