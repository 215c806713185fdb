"""QMS command handlers against the fake QMS: ids in references, "already done" is success, refusals permanent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.framework.commands import Outcome
from adapters.qms.api import INVALID_TRANSITION, QmsFault
from adapters.qms.commands import QmsCommands
from adapters.qms.fake import FakeQmsClient
from adapters.qms.opened import OpenedDeviations
from canonical_model.commands.qms import ChangeDeviationStatus, LinkCapa, OpenDeviation
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from messaging.errors import PermanentError, RetryableError
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore

pytestmark = pytest.mark.unit


class Feed:
    """Stands in for the feed follower's persisted position."""

    def __init__(self) -> None:
        self.at = 0

    async def position(self) -> int:
        return self.at


@pytest.fixture
def feed() -> Feed:
    return Feed()


@pytest.fixture
def commands(catalog: Catalog, fake: FakeQmsClient, engine: AsyncEngine, feed: Feed) -> QmsCommands:
    return QmsCommands(catalog, fake, OpenedDeviations(fake, IdempotencyStore(engine, "qms"), feed.position, 2))


def wrap(data: Any) -> Envelope[Any]:
    return Envelope.wrap(data, source="/test", actor="service:orchestrator", sourcesystem="gxplink")


def open_deviation(title: str = "BR-101 temperature high") -> Envelope[Any]:
    return wrap(OpenDeviation(title=title, description="TIC-101 read 38.1 Cel", classification="critical",
                              initiator="service:orchestrator", batch_id="CART-2026-0008", equipment_id="BR-101"))


def opened(fake: FakeQmsClient) -> list[str]:
    return sorted(fake.records["deviation"])


async def test_open_deviation_answers_with_the_id_the_qms_assigned(commands: QmsCommands, fake: FakeQmsClient) -> None:
    command = open_deviation()
    outcome = await commands.open_deviation(command)
    assert outcome.references == {"deviation_id": "DEV-2026-0001"} == {"deviation_id": opened(fake)[0]}
    held = fake.records["deviation"]["DEV-2026-0001"]
    assert held["batchId"] == "CART-2026-0008" and held["description"].endswith(f"[gxplink command {command.id}]")


async def test_a_lost_answer_then_a_retry_opens_no_second_deviation(commands: QmsCommands, fake: FakeQmsClient,
                                                                     feed: Feed) -> None:
    for n in range(3):  # other deviations, so the search has pages to read
        fake.create("deviation", {"title": f"other {n}", "description": "x", "classification": "minor"}, "qa.mlee")
    feed.at = len(fake.feed)
    command, fake.lose_answers = open_deviation(), 1
    with pytest.raises(RetryableError):
        await commands.open_deviation(command)  # the QMS acted, the answer was cut off
    fake.create("deviation", {"title": "meanwhile", "description": "x", "classification": "minor"}, "qa.mlee")
    feed.at = len(fake.feed)  # the feed follower moved past it meanwhile: the search starts where it first did
    again = await commands.open_deviation(command)
    assert again.references == {"deviation_id": "DEV-2026-0004"} and "already holds" in str(again.detail)
    assert len(opened(fake)) == 5
    other = await commands.open_deviation(open_deviation("another"))  # another command: a new deviation
    assert other.references == {"deviation_id": "DEV-2026-0006"}


async def test_the_marker_in_a_deviation_of_another_account_does_not_count(
        commands: QmsCommands, fake: FakeQmsClient) -> None:
    command = open_deviation()
    fake.create("deviation", {"title": "copy", "description": f"pasted [gxplink command {command.id}]",
                              "classification": "minor"}, "qa.mlee")
    assert (await commands.open_deviation(command)).references == {"deviation_id": "DEV-2026-0002"}


async def test_change_status_to_the_status_it_has_is_success(commands: QmsCommands, fake: FakeQmsClient) -> None:
    await commands.open_deviation(open_deviation())
    move = wrap(ChangeDeviationStatus(deviation_id="DEV-2026-0001", status="under_investigation", reason="QA"))
    first, second = await commands.change_status(move), await commands.change_status(move)
    assert first.references == second.references == {"deviation_id": "DEV-2026-0001",
                                                     "qms_status": "under_investigation"}
    assert "already" in str(second.detail) and "already" not in str(first.detail)


async def test_a_refused_transition_is_permanent_with_the_rule(commands: QmsCommands, fake: FakeQmsClient) -> None:
    await commands.open_deviation(open_deviation())
    with pytest.raises(QmsFault) as refused:
        await commands.change_status(wrap(ChangeDeviationStatus(deviation_id="DEV-2026-0001", status="closed",
                                                                reason="done")))
    assert refused.value.code == INVALID_TRANSITION and "[DEV-TRANSITION]" in str(refused.value)
    with pytest.raises(QmsFault, match="RECORD-UNKNOWN"):
        await commands.change_status(wrap(ChangeDeviationStatus(deviation_id="DEV-1", status="closed", reason="x")))


async def test_link_capa_by_record_type(commands: QmsCommands, fake: FakeQmsClient) -> None:
    dev = fake.create("deviation", {"title": "d", "description": "x", "classification": "minor"})["deviationId"]
    cc = fake.create("change_control", {"title": "c", "description": "x", "changeType": "method"})["changeControlId"]
    capa = fake.create("capa", {"title": "c", "capaType": "corrective"})["capaId"]
    to_dev = await commands.link_capa(wrap(LinkCapa(capa_id=capa, record_type="deviation", record_id=dev)))
    to_cc = await commands.link_capa(wrap(LinkCapa(capa_id=capa, record_type="change_control", record_id=cc)))
    assert to_dev.references == {"capa_id": capa, "deviation_id": dev}
    assert to_cc.references == {"capa_id": capa, "change_control_id": cc}
    held = fake.records["capa"][capa]
    assert held["deviationIds"] == [dev] and held["changeControlIds"] == [cc]
    assert [op for op, _ in fake.calls] == ["LinkCapaToDeviation", "LinkCapaToChangeControl"]
    assert "requested by service:orchestrator" in fake.calls[0][1]["reason"]
    with pytest.raises(PermanentError, match="cannot link a CAPA to a investigation"):
        await commands.link_capa(wrap(LinkCapa(capa_id=capa, record_type="investigation", record_id="INV-1")))


async def test_a_link_refused_but_already_there_is_success(commands: QmsCommands, fake: FakeQmsClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dev = fake.create("deviation", {"title": "d", "description": "x", "classification": "minor"})["deviationId"]
    capa = fake.create("capa", {"title": "c", "capaType": "corrective", "deviationIds": [dev]})["capaId"]

    def locked(**_: Any) -> dict[str, Any]:
        raise QmsFault(INVALID_TRANSITION, f"[CAPA-LOCKED] CAPA {capa} is closed")
    monkeypatch.setattr(fake, "op_LinkCapaToDeviation", locked)
    outcome = await commands.link_capa(wrap(LinkCapa(capa_id=capa, record_type="deviation", record_id=dev)))
    assert isinstance(outcome, Outcome) and "already linked" in str(outcome.detail)
    with pytest.raises(QmsFault, match="CAPA-LOCKED"):
        await commands.link_capa(wrap(LinkCapa(capa_id=capa, record_type="deviation", record_id="DEV-9")))


async def test_without_a_qms_every_command_fails_permanently(catalog: Catalog) -> None:
    with pytest.raises(PermanentError, match="GXPLINK_QMS_WSDL_URL"):
        await QmsCommands(catalog, None, None).open_deviation(open_deviation())


async def test_horizon_is_fixed_by_the_first_execution(engine: AsyncEngine, fake: FakeQmsClient, feed: Feed) -> None:
    finder = OpenedDeviations(fake, IdempotencyStore(engine, "qms"), feed.position)
    assert await finder.find("cmd-1") is None
    feed.at = 99
    assert await finder._horizon("cmd-1") == 0 and await finder._horizon("cmd-2") == 99
    assert await CursorStore(engine).get("qms.open_deviation.horizon:cmd-1") is None  # not a feed cursor
