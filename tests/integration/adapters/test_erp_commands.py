"""ERP commands through JetStream to the ERP simulator: If-Match, re-read and decide, lookups, faults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.erp.adapter import ErpRestAdapter
from canonical_model.base import Quantity
from canonical_model.commands.erp import (
    CreateProductionOrder,
    PostInventoryTransaction,
    ProvisionMaterials,
    ReleaseLot,
    SetLotDisposition,
)
from canonical_model.envelope import Envelope
from messaging.publisher import Publisher
from messaging.streams import AUDIT, EVENTS

from .conftest import eventually, stream_messages
from .test_erp_inbound import ErpStack, erp, wait_for

pytestmark = pytest.mark.integration
__all__ = ["erp"]  # the fixture, shared with the inbound tests


def wrap(data: Any, actor: str = "user:qa.mlee;service:gxplink-orchestrator") -> Envelope[Any]:
    return Envelope.wrap(data, source="/test", actor=actor, sourcesystem="gxplink")


async def execute(nc: Client, command: Envelope[Any], timeout: float = 20) -> dict[str, Any]:
    """Publish the command and wait for its reply (command_succeeded / command_failed)."""
    await Publisher(nc.jetstream()).publish(command)

    async def reply() -> list[dict[str, Any]]:
        events = await stream_messages(nc, EVENTS.name, "gxp.evt.erp.>")
        return [e for e in events if e.get("causationid") == command.id]
    (answer,) = await eventually(reply, timeout)
    return dict(answer)


def succeeded(reply: dict[str, Any]) -> bool:
    return bool(reply["type"].endswith("command_succeeded.v1"))


async def new_lot(erp: ErpStack, lot: str, material: str = "MAT-LVV", status: str = "quarantine") -> dict[str, Any]:
    return await erp.act("create_lot", lot_id=lot, material=material, quantity=40, unit="mL", status=status)  # type: ignore[no-any-return]


async def test_a_release_with_the_etag_read_posts_the_usage_decision(erp: ErpStack, nc: Client, token: str) -> None:
    lot = await new_lot(erp, f"LVV-{token}")
    reply = await execute(nc, wrap(SetLotDisposition(lot_id=lot["id"], disposition="release", reason="tests passed",
                                                     signature_id=f"SIG-{token}", expected_version=lot["etag"])))
    assert succeeded(reply), reply
    assert reply["data"]["references"]["etag"] == '"2"'
    state = await erp.act("lot", lot_id=lot["id"])
    assert state["status"] == "released"
    (released,) = await wait_for(nc, lambda e: e["type"].endswith("lot_released.v1")
                                 and e["subject"] == f"lot/{lot['id']}", 1)
    assert released["data"]["disposition"]["signature_id"] == f"SIG-{token}"
    assert released["data"]["disposition"]["decided_by"] == "qa.mlee"
    again = await execute(nc, wrap(ReleaseLot(lot_id=lot["id"], reason="tests passed", signature_id="SIG-2",
                                              expected_version=lot["etag"])))
    assert succeeded(again) and "already released" in again["data"]["detail"]


def race(adapter: ErpRestAdapter, erp: ErpStack, decision: str) -> None:
    """Someone else decides in the ERP UI right after the adapter's next read of the batch."""
    read = adapter.api.lot

    async def read_then_race(lot_id: str) -> Any:
        lot = await read(lot_id)
        adapter.api.lot = read  # type: ignore[method-assign]
        await erp.act("usage_decision", lot_id=lot_id, decision=decision, user="qa.other", reason="decided in the UI")
        return lot
    adapter.api.lot = read_then_race  # type: ignore[method-assign]


async def test_a_decision_by_someone_else_between_read_and_write_is_re_read_and_decided(
        erp: ErpStack, nc: Client, token: str) -> None:
    assert erp.adapter is not None
    same, conflicting = await new_lot(erp, f"MED-{token}-1"), await new_lot(erp, f"MED-{token}-2")
    race(erp.adapter, erp, "accept")
    reply = await execute(nc, wrap(SetLotDisposition(lot_id=same["id"], disposition="release", reason="ok",
                                                     signature_id="SIG-1")))
    assert succeeded(reply) and "already released" in reply["data"]["detail"]
    race(erp.adapter, erp, "reject")
    reply = await execute(nc, wrap(SetLotDisposition(lot_id=conflicting["id"], disposition="release", reason="ok",
                                                     signature_id="SIG-2")))
    assert reply["type"].endswith("command_failed.v1")
    assert reply["data"]["error_class"] == "permanent" and reply["data"]["error_code"] == "lot_status_changed"
    assert "quarantine to rejected" in reply["data"]["detail"]
    assert (await erp.act("lot", lot_id=conflicting["id"]))["status"] == "rejected"


async def test_a_stale_version_with_only_a_quantity_change_is_written_with_the_fresh_etag(
        erp: ErpStack, nc: Client, token: str) -> None:
    lot = await new_lot(erp, f"LVV-{token}")
    await erp.act("post_goods_receipt", lot_id=lot["id"], quantity=5, unit="mL")  # version 2, still quarantine
    reply = await execute(nc, wrap(SetLotDisposition(lot_id=lot["id"], disposition="block", reason="hold",
                                                     expected_version=lot["etag"])))
    assert succeeded(reply), reply
    assert (await erp.act("lot", lot_id=lot["id"]))["status"] == "blocked"


async def test_goods_movements_find_the_order_and_send_the_reason(erp: ErpStack, nc: Client, token: str) -> None:
    batch, lot = f"CART-{token}", await new_lot(erp, f"LVV-{token}", status="released")
    order = await erp.act("create_production_order", batch_id=batch)

    def movement(kind: str, value: float, **extra: Any) -> Envelope[Any]:
        return wrap(PostInventoryTransaction(reference=f"R-{token}-{kind}-{value}", lot_id=lot["id"],
                                             material_id="MAT-LVV", kind=kind,
                                             quantity=Quantity(value=value, unit="mL"), location="1000", **extra),
                    actor="user:jdoe;service:adapter-mes")
    issued = await execute(nc, movement("issue", 2.0, batch_id=batch))
    assert succeeded(issued), issued
    document = issued["data"]["references"]["material_document"]
    posted = [t for t in erp.sim.store.transactions if t["id"] == document]
    assert posted[0]["production_order"] == order["id"] and posted[0]["user"] == "jdoe"
    refused = await execute(nc, movement("adjustment", -1.0))
    assert refused["data"]["error_code"] == "reason_required"
    adjusted = await execute(nc, movement("adjustment", -1.0, reason=f"cycle count {token}"))
    assert succeeded(adjusted)
    assert (await erp.act("lot", lot_id=lot["id"]))["quantity"] == 37.0


async def test_a_production_order_is_created_once_per_batch_through_503s_and_cut_off_answers(
        erp: ErpStack, nc: Client, token: str) -> None:
    await erp.faults(error_rate=0.3, malformed_rate=0.2)

    def order() -> Envelope[Any]:
        return wrap(CreateProductionOrder(product="MAT-CART", quantity=Quantity(value=140, unit="mL"),
                                          batch_id=f"CART-{token}", planned_start=datetime(2026, 12, 1, tzinfo=UTC)),
                    actor="user:pp.planner;service:gxplink-orchestrator")
    first, second = await execute(nc, order(), 30), await execute(nc, order(), 30)
    await erp.faults()
    assert succeeded(first) and succeeded(second), (first, second)
    orders = [o for o in erp.sim.store.orders.values() if o["batch_id"] == f"CART-{token}"]
    assert len(orders) == 1 and orders[0]["lot"] == f"L-CART-{token}"
    assert second["data"]["references"]["production_order_id"] == orders[0]["id"]


def provision(token: str, **changes: Any) -> ProvisionMaterials:
    product = f"MAT-P{token}"
    materials = [(f"MAT-R{token}", "Interleukin-2", "raw"), ("MAT-LVV", "Lentiviral vector", "raw"),
                 (product, f"Product {token}", "final")]
    data = {"transfer_id": f"TT-{token}",
            "materials": [{"material_id": m, "name": n, "material_class": c, "unit": "mL"} for m, n, c in materials],
            "bom": {"bom_id": f"BOM-{product}", "product": product, "version": 1, "valid_from": "2026-12-01T00:00:00Z",
                    "lines": [{"material_id": f"MAT-R{token}", "quantity": {"value": 1.0, "unit": "mL"}},
                              {"material_id": "MAT-LVV", "quantity": {"value": 2.0, "unit": "mL"}, "scalable": False}]},
            "batch_quantity": {"value": 140.0, "unit": "mL"}, **changes}
    return ProvisionMaterials.model_validate(data)


@pytest.mark.requirement("FRS-001")
async def test_transferred_materials_and_their_bom_are_created_once(erp: ErpStack, nc: Client, token: str) -> None:
    reply = await execute(nc, wrap(provision(token)))
    assert succeeded(reply), reply
    refs = reply["data"]["references"]
    assert refs["materials_created"] == f"MAT-R{token},MAT-P{token}" and refs["materials_held"] == "MAT-LVV"
    assert (refs["bom_id"], refs["bom_version"], refs["transfer_id"]) == (f"BOM-MAT-P{token}", "1", f"TT-{token}")
    store = erp.sim.store
    assert store.materials[f"MAT-P{token}"]["material_type"] == "FERT"
    assert [(i["material"], i["quantity"]) for i in store.boms[f"BOM-MAT-P{token}"]["items"]] == [
        (f"MAT-R{token}", 1.0), ("MAT-LVV", 2.0)]
    again = await execute(nc, wrap(provision(token)))
    assert succeeded(again) and again["data"]["references"]["materials_held"] == f"MAT-R{token},MAT-LVV,MAT-P{token}"
    assert store.boms[f"BOM-MAT-P{token}"]["version"] == 1
    (published,) = await wait_for(nc, lambda e: e["type"].endswith("bom_published.v1")
                                  and e["subject"] == f"bom/BOM-MAT-P{token}", 1)
    assert published["data"]["bom"]["product"] == f"MAT-P{token}"

    async def native() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.erp")
                if e["data"]["record"].get("correlation", {}).get("transfer_id") == f"TT-{token}"]
    entries = await eventually(native)
    assert {e["data"]["record"]["target_id"] for e in entries} >= {f"MAT-R{token}", f"BOM-MAT-P{token}"}


async def test_a_changed_bom_is_an_engineering_change_and_a_unit_clash_is_refused(erp: ErpStack, nc: Client,
                                                                                  token: str) -> None:
    assert succeeded(await execute(nc, wrap(provision(token))))
    changed = provision(token).model_dump()
    changed["bom"]["lines"][0]["quantity"]["value"] = 1.5
    reply = await execute(nc, wrap(ProvisionMaterials.model_validate(changed)))
    assert succeeded(reply) and reply["data"]["references"]["bom_version"] == "2"
    assert "changed" in reply["data"]["detail"]
    assert erp.sim.store.boms[f"BOM-MAT-P{token}"]["items"][0]["quantity"] == 1.5
    clash = provision(token, bom=None, batch_quantity=None,
                      materials=[{"material_id": "MAT-MED", "name": "Medium", "material_class": "raw", "unit": "mL"}])
    refused = await execute(nc, wrap(clash))
    assert refused["type"].endswith("command_failed.v1")
    assert (refused["data"]["error_class"], refused["data"]["error_code"]) == ("permanent", "material_unit_differs")


async def test_a_transferred_bom_changes_the_products_active_bom(erp: ErpStack, nc: Client, token: str) -> None:
    bom = {"bom_id": f"BOM-SPONSOR-{token}", "product": "MAT-CART", "version": 1, "valid_from": "2026-12-01T00:00:00Z",
           "lines": [{"material_id": "MAT-LVV", "quantity": {"value": 2.5, "unit": "mL"}},
                     {"material_id": "MAT-BAG", "quantity": {"value": 2.0, "unit": "{each}"}}]}
    reply = await execute(nc, wrap(ProvisionMaterials(transfer_id=f"TT-{token}", bom=bom,
                                                      batch_quantity={"value": 140.0, "unit": "mL"})))
    assert succeeded(reply) and reply["data"]["references"]["bom_id"] == "BOM-MAT-CART", reply["data"]
    current = erp.sim.store.boms["BOM-MAT-CART"]
    assert current["version"] == 2 and [i["material"] for i in current["items"]] == ["MAT-LVV", "MAT-BAG"]
    assert f"BOM-SPONSOR-{token}" not in erp.sim.store.boms
