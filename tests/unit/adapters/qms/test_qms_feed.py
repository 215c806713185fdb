"""Following the change feed and the audit trail: cursor discipline, duplicates, skipped kinds, CAPA links."""

from __future__ import annotations

import pytest

from adapters.framework.inbound import InboundPipeline
from adapters.qms.audit import CURSOR as AUDIT_CURSOR
from adapters.qms.audit import AuditFollower
from adapters.qms.fake import FakeQmsClient
from adapters.qms.feed import CURSOR, SKIPPED, ChangeFollower
from storage.cursors import CursorStore

from .conftest import RecordingPublisher

pytestmark = pytest.mark.unit
QA = "qa.mlee"


def follower(fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, page: int = 2) -> ChangeFollower:
    return ChangeFollower(fake, pipeline, cursors, page_size=page)


def deviation(fake: FakeQmsClient, title: str, description: str | None = "what happened") -> str:
    fields = {"title": title, "classification": "major", **({"description": description} if description else {})}
    return str(fake.create("deviation", fields, QA)["deviationId"])


def capa(fake: FakeQmsClient, *deviations: str) -> str:
    return str(fake.create("capa", {"title": "Recalibrate", "capaType": "corrective",
                                    "deviationIds": list(deviations)}, QA)["capaId"])


async def test_changes_become_events_and_the_cursor_follows(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    dev = deviation(fake, "pH low")
    await fake.call("ChangeDeviationStatus", {"deviationId": dev, "newStatus": "under_investigation", "reason": "QA"})
    capa(fake, dev)
    feed = follower(fake, pipeline, cursors)
    assert await feed.poll_once() == len(fake.feed) == 3
    assert [e["type"] for e in publisher.on("gxp.evt.qms.")] == [
        "io.gxplink.evt.qms.deviation_opened.v1", "io.gxplink.evt.qms.deviation_status_changed.v1",
        "io.gxplink.evt.qms.capa_opened.v1"]
    assert await cursors.get(CURSOR) == "3"
    assert await feed.poll_once() == 0  # nothing new


async def test_changes_without_a_canonical_event_are_skipped_and_counted(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    dev = deviation(fake, "pH low")
    for record_type, action in sorted(SKIPPED):
        fake.feed.append({**fake.feed[0], "changeSeq": len(fake.feed) + 1, "recordType": record_type,
                          "action": action, "recordId": f"X-{action}"})
    feed = follower(fake, pipeline, cursors)
    assert await feed.poll_once() == 1 + len(SKIPPED)
    assert [e["data"]["deviation"]["deviation_id"] for e in publisher.on("gxp.evt.qms.")] == [dev]
    assert publisher.on("gxp.dlq.") == []  # skipped kinds are not errors
    assert sum(feed.skipped.labels("qms", ".".join(k))._value.get() for k in SKIPPED) == len(SKIPPED)


async def test_a_repeated_change_is_published_once(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    fake.duplicate = True
    for n in range(5):
        deviation(fake, f"D{n}")
    await follower(fake, pipeline, cursors, page=2).poll_once()
    assert [e["data"]["deviation"]["title"] for e in publisher.on("gxp.evt.qms.")] == [f"D{n}" for n in range(5)]
    await cursors.set(CURSOR, "0")  # a re-read of the whole feed: same ids, JetStream keeps one of each
    await follower(fake, pipeline, cursors, page=10).poll_once()
    assert len(publisher.on("gxp.evt.qms.")) == 5


async def test_a_capa_link_names_the_record_from_the_audit_entry(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    first, second = deviation(fake, "pH low"), deviation(fake, "pH low again")
    number = capa(fake, first)
    await fake.call("LinkCapaToDeviation", {"capaId": number, "deviationId": second, "reason": "same cause"})
    change = fake.create("change_control", {"title": "SOP", "description": "rev 5", "changeType": "method"},
                         QA)["changeControlId"]
    await fake.call("LinkCapaToChangeControl", {"capaId": number, "changeControlId": change, "reason": "fix"})
    await follower(fake, pipeline, cursors, page=50).poll_once()
    links = [(e["data"]["record_type"], e["data"]["record_id"]) for e in publisher.on("gxp.evt.qms.capa_linked")]
    assert links == [("deviation", second), ("change_control", change)]
    assert publisher.on("gxp.dlq.") == []


async def test_a_capa_link_the_trail_does_not_explain_is_dead_lettered_not_guessed(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    number = capa(fake, deviation(fake, "A"), deviation(fake, "B"))
    fake.feed.append({**fake.feed[-1], "changeSeq": len(fake.feed) + 1, "action": "link"})  # no audit entry
    await follower(fake, pipeline, cursors, page=50).poll_once()
    (letter,) = publisher.on("gxp.dlq.")
    assert "record_type" in letter["reason"] and number in letter["payload"]
    assert publisher.on("gxp.evt.qms.capa_linked") == []


async def test_poison_is_dead_lettered_and_the_feed_goes_on(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    deviation(fake, "no description", description=None)  # the QMS allows it, the canonical model does not
    fake.feed.append({**fake.feed[0], "changeSeq": 2, "action": "archive"})  # an action nobody documented
    deviation(fake, "fine")
    await follower(fake, pipeline, cursors).poll_once()
    assert len(publisher.on("gxp.dlq.")) == 2
    assert [e["data"]["deviation"]["title"] for e in publisher.on("gxp.evt.qms.")] == ["fine"]
    assert await cursors.get(CURSOR) == "3"


async def test_when_jetstream_fails_the_cursor_stays_after_the_last_acknowledged(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    for n in range(4):
        deviation(fake, f"D{n}")
    publisher.fail_after = 3
    with pytest.raises(TimeoutError):
        await follower(fake, pipeline, cursors, page=10).poll_once()
    assert await cursors.get(CURSOR) == "3"
    publisher.fail_after = None
    assert await follower(fake, pipeline, cursors, page=10).poll_once() == 1


async def test_the_audit_trail_goes_to_gxp_audit_qms(
        fake: FakeQmsClient, pipeline: InboundPipeline, cursors: CursorStore, publisher: RecordingPublisher) -> None:
    dev = deviation(fake, "pH low")
    await fake.call("ChangeDeviationStatus", {"deviationId": dev, "newStatus": "cancelled", "reason": "duplicate"})
    audit = AuditFollower(fake, pipeline, cursors, page_size=1)
    assert await audit.poll_once() == 2
    entries = publisher.on("gxp.audit.qms")
    assert [e["data"]["record"]["action"] for e in entries] == ["create", "change_status"]
    assert entries[1]["data"]["record"]["reason"] == "duplicate"
    assert entries[1]["data"]["record"]["service_id"] == "adapter-qms" and await cursors.get(AUDIT_CURSOR) == "2"
