"""The change feed and the change documents, against the in-memory ERP: enrichment, cursors, duplicates."""

from __future__ import annotations

import json

import pytest

from adapters.erp.audit import AuditReader
from adapters.erp.enrich import Enricher
from adapters.erp.fake import FakeErp
from adapters.erp.feed import CURSOR, ChangeFeedReader
from adapters.erp.replay import ReplayPipeline
from adapters.framework.inbound import Accepted, InboundPipeline
from storage.cursors import CursorStore

from .conftest import RecordingPublisher

pytestmark = pytest.mark.unit


def order(fake: FakeErp, batch: str, order_id: str = "1000001") -> None:
    fake.orders[order_id] = {"id": order_id, "material": "MAT-CART", "batch_id": batch, "lot": f"L-{batch}",
                             "quantity": 140.0, "unit": "mL", "status": "released", "bom": "BOM-FAKE-CART",
                             "version": 2}


async def test_records_become_events_once_and_the_cursor_follows(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.add_lot("MED-1", "MAT-MED", unit="L")
    fake.decide("MED-1", "accept", user="qa.mlee")
    reader = ChangeFeedReader(fake, pipeline, cursors)
    assert await reader.poll_once() == 4
    assert await cursors.get(CURSOR) == "4"
    assert [m["data"]["lot"]["lot_id"] for m in publisher.of_type("lot_created")] == ["MED-1"]
    assert publisher.of_type("lot_released")[0]["data"]["disposition"]["decided_by"] == "qa.mlee"
    (posting,) = publisher.of_type("inventory_transaction_posted")
    assert posting["data"]["transaction"]["location"] == "1000"  # from the lot of the status change before it
    assert len(publisher.of_type("bom_published")) == 1  # the opening BOM, published before the feed
    assert await reader.poll_once() == 0


async def test_a_feed_delivering_every_record_twice_publishes_each_once(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.duplicate = True
    for n in range(3):
        fake.add_lot(f"LOT-{n}")
    fake.decide("LOT-1", "reject")
    await ChangeFeedReader(fake, pipeline, cursors).poll_once()
    ids = [m["id"] for s, m in publisher.messages]
    assert len(ids) == len(set(ids)) == 1 + 3 + 3  # BOM, lots, rejected + status + 350 posting
    assert pipeline.metrics.duplicates._value.get() == 0  # skipped by seq before publishing


async def test_a_restarted_reader_resumes_and_enriches_a_posting_from_the_feed(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.add_lot("LOT-A")
    fake.decide("LOT-A", "block")
    await ChangeFeedReader(fake, pipeline, cursors, page=3).poll_once()
    before = len(publisher.messages)
    fake.decide("LOT-A", "accept")  # seq 5-7; the reader restarts at the 343 posting, without its cause in memory
    await cursors.set(CURSOR, "6")
    await ChangeFeedReader(fake, pipeline, cursors).poll_once()
    assert len(publisher.messages) == before + 1
    assert publisher.messages[-1][1]["data"]["transaction"]["kind"] == "transfer"
    assert "changes" in fake.calls and fake.calls.count("boms") == 1  # opening BOMs only at the first start


@pytest.mark.requirement("URS-003")
async def test_order_enrichment_and_a_record_that_cannot_be_enriched(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    order(fake, "CART-7")
    fake.add_lot("L-CART-7", "MAT-CART", production_order="1000001")
    fake.add_lot("L-CART-8", "MAT-CART", production_order="1000999")  # unknown order
    fake.emit("production_order_status_changed", "pp.planner", "production_order", "1000001",
              fake.orders["1000001"], {"status": ("created", "released")})
    reader = ChangeFeedReader(fake, pipeline, cursors)
    await reader.poll_once()
    (created,) = publisher.of_type("lot_created")
    assert created["correlationid"] == "CART-7" and created["data"]["lot"]["batch_id"] == "CART-7"
    (letter,) = publisher.on("gxp.dlq.erp")
    assert "L-CART-8" in letter["payload"] and letter["reason"]
    skipped = pipeline.metrics.registry.get_sample_value(
        "gxplink_feed_records_skipped_total", {"system": "erp", "type": "production_order_status_changed"})
    assert skipped == 1
    assert await cursors.get(CURSOR) == "3"
    # replayed once the ERP knows the order, the dead-lettered record is enriched like live traffic
    order(fake, "CART-8", "1000999")
    replay = ReplayPipeline(pipeline, Enricher(fake))
    outcome = await replay.accept(letter["payload"].encode(), origin="replay")
    assert isinstance(outcome, Accepted) and outcome.events[0].correlationid == "CART-8"


async def test_change_documents_go_to_the_audit_subject_with_a_cursor(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.add_lot("LOT-X")
    reader = AuditReader(fake, pipeline, cursors, page=1)
    assert await reader.poll_once() == 2
    audit = publisher.on("gxp.audit.erp")
    assert [a["data"]["record"]["target_id"] for a in audit] == ["LOT-X", "LOT-X"]
    fake.decide("LOT-X", "block")
    assert await reader.poll_once() == 3
    assert await AuditReader(fake, pipeline, cursors).poll_once() == 0


async def test_an_unreachable_erp_moves_no_cursor(
        fake: FakeErp, pipeline: InboundPipeline, cursors: CursorStore) -> None:
    from messaging.errors import RetryableError

    fake.add_lot("LOT-D")
    fake.down = True
    with pytest.raises(RetryableError):
        await ChangeFeedReader(fake, pipeline, cursors).poll_once()
    assert await cursors.get(CURSOR) is None
    assert json.loads(json.dumps(fake.feed))  # untouched
