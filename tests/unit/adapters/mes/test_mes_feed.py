"""Following the change feed and the audit trail: cursor discipline, duplicates, skipped kinds, dead letters."""

from __future__ import annotations

import json

import pytest

from adapters.framework.inbound import InboundPipeline
from adapters.framework.metrics import AdapterMetrics
from adapters.mes.audit import AuditFollower
from adapters.mes.fake import FakeMesClient
from adapters.mes.feed import CURSOR, SKIPPED, FeedFollower
from adapters.mes.replay import MesReplayPipeline
from mappings.engine.catalog import Catalog
from storage.cursors import CursorStore

from .conftest import RecordingPublisher

pytestmark = pytest.mark.unit


def follower(fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, page: int = 2) -> FeedFollower:
    return FeedFollower(fake, pipeline, cursors, page_size=page)


def shop_floor(fake: FakeMesClient) -> None:
    """A batch created and started, one record of every skipped kind, a consumption."""
    fake.create_batch("B1", user="sup.kchen")
    fake.append("batch_state_changed", "B1", "batch", "B1", "sup.kchen",
                {"previous_state": "created", "state": "released", "action": "release", "reason": None})
    for kind in sorted(SKIPPED):
        fake.append(kind, "B1", "x", f"B1/{kind}", "jdoe", {})
    fake.append("material_consumed", "B1", "consumption", "CON-1", "jdoe",
                {"lot": "L-IL2", "material": "IL2", "quantity": 2.0, "unit": "mL", "step_id": "PH-0201",
                 "consumed_by": "jdoe", "consumed_at": "2026-11-22T10:00:00+00:00"})


async def test_records_become_events_and_the_cursor_follows(
        fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    shop_floor(fake)
    feed = follower(fake, pipeline, cursors)
    assert await feed.poll_once() == len(fake.feed)
    types = [e["type"] for e in publisher.on("gxp.evt.mes.")]
    assert types == ["io.gxplink.evt.mes.master_recipe_approved.v1", "io.gxplink.evt.mes.batch_created.v1",
                     "io.gxplink.evt.mes.batch_state_changed.v1", "io.gxplink.evt.mes.material_consumed.v1"]
    assert await cursors.get(CURSOR) == str(len(fake.feed))
    assert publisher.on("gxp.dlq.") == []  # skipped kinds are not errors
    assert sum(feed.skipped.labels("mes", k)._value.get() for k in SKIPPED) == len(SKIPPED)
    assert await feed.poll_once() == 0  # nothing new


async def test_batch_created_is_enriched_with_the_batch_record(fake: FakeMesClient, pipeline: InboundPipeline,
                                                               cursors: CursorStore,
                                                               publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")
    await follower(fake, pipeline, cursors).poll_once()
    (created,) = publisher.on("gxp.evt.mes.batch_created")
    batch = created["data"]["batch"]
    assert batch["master_recipe_version"] == 3 and batch["planned_quantity"] == {"value": 140.0, "unit": "mL"}
    assert created["correlationid"] == "B1" and created["mapping"] == "mes/batch_created@1"


async def test_the_master_recipe_of_a_new_batch_precedes_it_with_its_ranges(
        fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")
    fake.create_batch("B2")
    await follower(fake, pipeline, cursors).poll_once()
    recipe, created, created_next = publisher.on("gxp.evt.mes.")  # one recipe version, one message id: kept once
    assert recipe["type"] == "io.gxplink.evt.mes.master_recipe_approved.v1"
    assert [created["correlationid"], created_next["correlationid"]] == ["B1", "B2"]
    (step,) = recipe["data"]["steps"]
    assert step["equipment_id"] == "BR-101" and step["parameters"][0] == {
        "name": "Temperature", "unit": "Cel", "set_point": {"value": 37.0, "unit": "Cel"}, "low": 36.5, "high": 37.5,
        "classification": "CPP"}


async def test_a_recipe_that_cannot_be_read_does_not_hold_back_its_batch(
        fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")["master_batch_record_id"] = "MR-GONE"
    await follower(fake, pipeline, cursors).poll_once()
    assert [e["type"] for e in publisher.on("gxp.evt.mes.")] == ["io.gxplink.evt.mes.batch_created.v1"]


async def test_duplicate_deliveries_never_make_duplicate_events(fake: FakeMesClient, pipeline: InboundPipeline,
                                                                cursors: CursorStore,
                                                                publisher: RecordingPublisher) -> None:
    shop_floor(fake)
    fake.duplicate_feed = True
    await follower(fake, pipeline, cursors, page=3).poll_once()
    ids = [e["id"] for e in publisher.on("gxp.evt.mes.")]
    assert len(ids) == 4 == len(set(ids))
    # read again from the start (a lost cursor): same ids, JetStream keeps one of each
    await cursors.set(CURSOR, "0")
    await follower(fake, pipeline, cursors).poll_once()
    assert [e["id"] for e in publisher.on("gxp.evt.mes.")] == ids


async def test_a_failure_mid_page_keeps_the_cursor_at_the_last_acknowledged_record(
        fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    shop_floor(fake)
    publisher.fail_after = 2  # JetStream takes the recipe and the first event, then goes away
    feed = follower(fake, pipeline, cursors, page=50)
    with pytest.raises(TimeoutError):
        await feed.poll_once()
    assert await cursors.get(CURSOR) == "1"
    publisher.fail_after = None
    await feed.poll_once()
    assert len(publisher.on("gxp.evt.mes.")) == 4 and await cursors.get(CURSOR) == str(len(fake.feed))


async def test_a_down_mes_moves_nothing(fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore) -> None:
    from messaging.errors import RetryableError

    shop_floor(fake)
    fake.down = True
    with pytest.raises(RetryableError):
        await follower(fake, pipeline, cursors).poll_once()
    assert await cursors.get(CURSOR) is None


async def test_unknown_kinds_and_refused_records_are_dead_lettered(fake: FakeMesClient, pipeline: InboundPipeline,
                                                                   cursors: CursorStore,
                                                                   publisher: RecordingPublisher) -> None:
    fake.append("batch_teleported", "B9", "batch", "B9", "jdoe", {})
    fake.append("batch_state_changed", "B9", "batch", "B9", "jdoe",
                {"previous_state": "in_execution", "state": "teleported", "action": "beam", "reason": None})
    await follower(fake, pipeline, cursors).poll_once()
    letters = publisher.on("gxp.dlq.mes")
    assert len(letters) == 2 and "no mes mapping matches" in letters[0]["reason"]
    assert "teleported" in letters[1]["reason"] and await cursors.get(CURSOR) == "2"


async def test_a_batch_the_mes_cannot_find_dead_letters_its_creation(fake: FakeMesClient, pipeline: InboundPipeline,
                                                                     cursors: CursorStore,
                                                                     publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")
    del fake.batches["B1"]
    await follower(fake, pipeline, cursors).poll_once()
    (letter,) = publisher.on("gxp.dlq.mes")
    assert "master_batch_record_version" in letter["reason"]


async def test_audit_entries_go_to_the_audit_subject_with_their_own_cursor(
        fake: FakeMesClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")
    fake.batches["B1"]["state"] = "in_execution"
    await fake.transition("B1", {"action": "hold", "reason": "pH"})
    audit = AuditFollower(fake, pipeline, cursors, page_size=1)
    assert await audit.poll_once() == 2
    entries = publisher.on("gxp.audit.mes")
    assert [e["data"]["record"]["action"] for e in entries] == ["create", "hold"]
    assert entries[1]["data"]["record"]["reason"] == "pH" and "user_id" not in entries[1]["data"]["record"]
    assert await cursors.get("adapter.mes.native_audit") == "2" and await cursors.get(CURSOR) is None


async def test_replayed_audit_entries_go_back_to_the_audit_subject(fake: FakeMesClient, catalog: Catalog,
                                                                   publisher: RecordingPublisher) -> None:
    fake.create_batch("B1")
    replay = MesReplayPipeline("mes", publisher, catalog, AdapterMetrics("mes"))  # type: ignore[arg-type]
    await replay.accept(json.dumps(fake.audit_trail[0]).encode(), origin="replay")
    await replay.accept(json.dumps({"event": fake.feed[0], "batch": await fake.batch("B1")}).encode(),
                        origin="replay")
    assert [s for s, _, _ in publisher.messages] == ["gxp.audit.mes", "gxp.evt.mes.batch_created"]
