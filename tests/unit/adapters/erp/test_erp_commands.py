"""Command handlers against the in-memory ERP: If-Match, re-read and decide, lost answers, lookups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.erp.api import OutcomeUnknown, Record, Reply
from adapters.erp.commands import command_handlers
from adapters.erp.fake import FakeErp
from adapters.erp.problems import ErpRefused
from adapters.framework.commands import Handler
from canonical_model.commands.erp import CreateProductionOrder, PostInventoryTransaction, ReleaseLot, SetLotDisposition
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from messaging.errors import RetryableError

pytestmark = pytest.mark.unit


class RacingErp(FakeErp):
    """Runs `race` right after the next read of a batch: someone else acts between our read and our write."""

    race: Callable[[], Any] | None = None

    async def lot(self, lot_id: str) -> Record | None:
        lot = await super().lot(lot_id)
        race, self.race = self.race, None
        if race is not None:
            race()
        return lot


def wrap(data: Any) -> Envelope[Any]:
    return Envelope.wrap(data, source="/test", actor="user:qa.mlee;service:test", sourcesystem="gxplink")


def disposition(lot: str, decision: str, version: str | None = None) -> Envelope[Any]:
    return wrap(SetLotDisposition(lot_id=lot, disposition=decision, reason="QA decision",
                                  signature_id="SIG-1" if decision == "release" else None, expected_version=version))


def movement(lot: str, kind: str, value: float, **extra: Any) -> Envelope[Any]:
    return wrap(PostInventoryTransaction(reference=f"R-{lot}-{kind}", lot_id=lot, material_id="MAT-LVV",
                                         kind=kind, quantity={"value": value, "unit": "mL"},
                                         location="1000", **extra))


@pytest.fixture
def erp() -> RacingErp:
    return RacingErp()


@pytest.fixture
def handlers(catalog: Catalog, erp: RacingErp) -> dict[str, Handler]:
    return command_handlers(catalog, erp)


async def run(handlers: dict[str, Handler], command: Envelope[Any]) -> Any:
    return await handlers[command.type](command)


async def test_release_with_the_expected_version_posts_one_usage_decision(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-1")
    outcome = await run(handlers, disposition("MED-1", "release", '"1"'))
    assert erp.lots["MED-1"]["status"] == "released" and outcome.references["usage_decision_id"]
    again = await run(handlers, disposition("MED-1", "release", '"1"'))  # a repeat: nothing posted twice
    assert "already released" in again.detail
    assert erp.calls.count("post_usage_decision") == 1


async def test_release_lot_is_an_accepting_usage_decision(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("L-CART-1", "MAT-CART")
    await run(handlers, wrap(ReleaseLot(lot_id="L-CART-1", reason="all tests passed", signature_id="SIG-2")))
    assert erp.lots["L-CART-1"]["status"] == "released"
    assert [r["data"]["user"] for r in erp.feed if r["type"] == "usage_decision_posted"] == ["qa.mlee"]


async def test_someone_releasing_between_read_and_write_is_the_outcome(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-2")
    erp.race = lambda: erp.decide("MED-2", "accept", user="qa.other")
    outcome = await run(handlers, disposition("MED-2", "release"))
    assert "already released" in outcome.detail
    assert len([r for r in erp.feed if r["type"] == "usage_decision_posted"]) == 1


async def test_someone_rejecting_between_read_and_write_fails_the_release(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-3")
    erp.race = lambda: erp.decide("MED-3", "reject", user="qa.other")
    with pytest.raises(ErpRefused, match="quarantine to rejected") as caught:
        await run(handlers, disposition("MED-3", "release"))
    assert caught.value.code == "lot_status_changed" and erp.lots["MED-3"]["status"] == "rejected"


async def test_only_the_version_moved_so_the_write_is_retried_once_with_the_fresh_etag(
        erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-4")
    await erp.post_inventory_transaction({"movement_type": "701", "material": "MAT-LVV", "lot": "MED-4",
                                          "quantity": 1.0, "unit": "mL", "reason": "count"})  # version 2, quarantine
    await run(handlers, disposition("MED-4", "block", '"1"'))
    assert erp.lots["MED-4"]["status"] == "blocked"
    assert erp.calls.count("post_usage_decision") == 2 and erp.calls.count("lot_changes") == 1


async def test_a_status_change_the_caller_never_saw_fails_permanently(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-5")
    erp.decide("MED-5", "block", user="qa.other")  # version 2: blocked after the caller read version 1
    with pytest.raises(ErpRefused, match="from quarantine to blocked"):
        await run(handlers, disposition("MED-5", "release", '"1"'))
    assert erp.lots["MED-5"]["status"] == "blocked"


async def test_a_rejected_lot_is_final(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-6", status="rejected")
    with pytest.raises(ErpRefused, match="cannot become released") as caught:
        await run(handlers, disposition("MED-6", "release"))
    assert caught.value.code == "lot_rejected"
    with pytest.raises(ErpRefused, match="does not exist"):
        await run(handlers, disposition("NOPE", "block"))


async def test_an_issue_finds_the_batch_order_and_posts_it(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("LVV-1", status="released")
    await erp.post_production_order({"material": "MAT-CART", "batch_id": "CART-9", "quantity": 140, "unit": "mL"})
    outcome = await run(handlers, movement("LVV-1", "issue", 2.0, batch_id="CART-9"))
    assert erp.documents[-1]["production_order"] == "1000001" and outcome.references["material_document"]
    with pytest.raises(ErpRefused, match="no production order for batch CART-0"):
        await run(handlers, movement("LVV-1", "issue", 2.0, batch_id="CART-0"))


async def test_an_adjustment_sends_its_reason_and_is_refused_without(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("CS10-1")
    with pytest.raises(ErpRefused, match="reason_required"):
        await run(handlers, movement("CS10-1", "adjustment", -1.0))
    await run(handlers, movement("CS10-1", "adjustment", -1.0, reason="cycle count"))
    assert erp.lots["CS10-1"]["quantity"] == 9.0


async def test_a_lost_answer_is_checked_before_writing_again(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("TXA-1")
    post = erp.post_inventory_transaction

    async def lost(body: Record) -> Reply:
        await post(body)
        raise OutcomeUnknown("read timeout")
    erp.post_inventory_transaction = lost  # type: ignore[method-assign]
    command = movement("TXA-1", "receipt", 5.0)
    with pytest.raises(OutcomeUnknown):
        await run(handlers, command)
    erp.post_inventory_transaction = post  # type: ignore[method-assign]
    outcome = await run(handlers, command)  # the executor's retry
    assert "earlier attempt" in outcome.detail
    assert len([d for d in erp.documents if d["lot"] == "TXA-1"]) == 1 and erp.lots["TXA-1"]["quantity"] == 15.0


async def test_a_production_order_is_created_once_per_batch(erp: RacingErp, handlers: Any) -> None:
    def order(product: str = "MAT-CART", bom: str | None = None) -> Envelope[Any]:
        return wrap(CreateProductionOrder(product=product, quantity={"value": 140, "unit": "mL"},
                                          batch_id="CART-5", planned_start=datetime(2026, 12, 1, tzinfo=UTC),
                                          bom_id=bom))
    with pytest.raises(ErpRefused, match="cannot use BOM-OLD"):
        await run(handlers, order(bom="BOM-OLD"))
    first = await run(handlers, order(bom="BOM-FAKE-CART"))
    assert first.references == {"production_order_id": "1000001", "lot_id": "L-CART-5", "bom_id": "BOM-FAKE-CART"}
    again = await run(handlers, order())
    assert "already existed" in again.detail and len(erp.orders) == 1
    with pytest.raises(ErpRefused, match="already has production order"):
        await run(handlers, order(product="MAT-LVV"))


async def test_an_unreachable_erp_is_retryable(erp: RacingErp, handlers: Any) -> None:
    erp.add_lot("MED-7")
    erp.down = True
    with pytest.raises(RetryableError):
        await run(handlers, disposition("MED-7", "block"))
