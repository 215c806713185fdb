"""The QMS adapter under the simulator's faults, and across restarts: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.qms.adapter import QmsSoapAdapter
from adapters.qms.audit import CURSOR as AUDIT_CURSOR
from adapters.qms.client import ZeepQmsClient
from adapters.qms.config import QmsAdapterConfig
from adapters.qms.feed import CURSOR
from canonical_model.commands.qms import ChangeDeviationStatus, OpenDeviation
from messaging.streams import AUDIT, DEAD_LETTERS
from simulators.common.faults import FaultConfig
from storage.cursors import CursorStore

from .conftest import eventually
from .test_qms_adapter import QmsStack, of_type, qms

pytestmark = pytest.mark.integration


@pytest.fixture
def nc(private_nc: Client) -> Client:
    """Other modules' QMS simulators replay the same seeded history, whose event ids would otherwise be
    dropped here as duplicates of theirs."""
    return private_nc


__all__ = ["qms"]  # the fixture, shared with test_qms_adapter


def open_deviation(title: str) -> OpenDeviation:
    return OpenDeviation(title=title, description="CPP excursion", classification="major", initiator="svc",
                         equipment_id="BR-101")


async def qa_deviations(stack: QmsStack, prefix: str, n: int) -> None:
    for i in range(n):
        await stack.sim.actions()["open_deviation"]({"title": f"{prefix}-{i}"})


async def exactly(stack: QmsStack, prefix: str, n: int, timeout: float = 15) -> list[dict[str, Any]]:
    """The DeviationOpened events of `prefix`: n of them, once each, and no more after a few more polls."""
    async def found() -> list[dict[str, Any]]:
        events = [e for e in of_type(await stack.events("deviation_opened"), "deviation_opened")
                  if e["data"]["deviation"]["title"].startswith(prefix)]
        return events if len(events) >= n else []
    await eventually(found, timeout=timeout)
    await asyncio.sleep(0.3)
    events = await found()
    assert len(events) == n == len({e["id"] for e in events}) == len({e["data"]["deviation"]["title"] for e in events})
    return events


def held(stack: QmsStack, title: str) -> int:
    return sum(d["title"] == title for d in stack.sim.store.all("deviation"))


async def test_duplicate_change_deliveries_from_a_slow_qms_make_no_duplicate_events(qms: QmsStack,
                                                                                  token: str) -> None:
    await qms.sim.ctx.faults.apply(FaultConfig(duplicate_rate=1.0, latency_ms=50))
    await qms.start_adapter(page_size=3)
    await qa_deviations(qms, token, 7)
    await exactly(qms, token, 7)


async def test_server_faults_malformed_answers_and_duplicates_lose_and_double_nothing(qms: QmsStack,
                                                                                    token: str) -> None:
    await qms.sim.ctx.faults.apply(FaultConfig(error_rate=0.2, malformed_rate=0.15, duplicate_rate=0.3))
    adapter = await qms.start_adapter(page_size=4, command_attempts=8)
    await qa_deviations(qms, f"{token}-qa", 5)
    replies = await asyncio.gather(*(qms.run(open_deviation(f"{token}-cmd-{i}"), timeout=30) for i in range(2)))
    assert all(r["type"].endswith("command_succeeded.v1") for r in replies), replies
    await exactly(qms, f"{token}-qa", 5, timeout=20)
    await exactly(qms, f"{token}-cmd", 2, timeout=20)
    assert [held(qms, f"{token}-cmd-{i}") for i in range(2)] == [1, 1]
    assert adapter.ports.metrics.registry.get_sample_value("gxplink_dead_letters_total", {"system": "qms"}) == 0
    assert await qms.stored(DEAD_LETTERS.name, "gxp.dlq.>") == []


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """The QMS acts on the first CreateDeviation, but its answer is cut off on the way back."""

    def __init__(self) -> None:
        self.inner, self.lost = httpx.AsyncHTTPTransport(), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if b"CreateDeviation" in request.content and not self.lost:
            self.lost += 1
            body = await response.aread()
            return httpx.Response(200, headers={"content-type": "text/xml"}, content=body[: len(body) // 2])
        return response


async def test_an_open_deviation_whose_answer_is_lost_opens_one_deviation(qms: QmsStack, token: str) -> None:
    auth, transport = qms.endpoints["qms_auth"], LoseFirstAnswer()
    client = ZeepQmsClient(qms.endpoints["qms"], auth["username"], auth["password"], transport=transport)
    config = QmsAdapterConfig(poll_interval_seconds=0.1, initial_change_cursor=qms.sim.store.cursor,
                              initial_audit_cursor=len(qms.sim.ctx.audit.entries))
    qms.adapter = QmsSoapAdapter(qms.ports, config, client=client)
    await qms.adapter.start()
    reply = await qms.run(open_deviation(f"{token} answer lost"))
    assert transport.lost == 1 and reply["type"].endswith("command_succeeded.v1"), reply
    assert "already holds" in reply["data"]["detail"] and held(qms, f"{token} answer lost") == 1
    (deviation,) = [d for d in qms.sim.store.all("deviation") if d["title"] == f"{token} answer lost"]
    assert reply["data"]["references"] == {"deviation_id": deviation["id"]}
    await exactly(qms, f"{token} answer lost", 1)


async def test_a_slow_qms_times_out_and_the_status_change_is_applied_once(qms: QmsStack, token: str) -> None:
    await qms.start_adapter(request_timeout_seconds=0.3)
    number = (await qms.sim.actions()["open_deviation"]({"title": token}))["deviation"]["deviation_id"]
    await qms.sim.ctx.faults.apply(FaultConfig(latency_ms=500))
    task = asyncio.create_task(qms.run(ChangeDeviationStatus(deviation_id=number, status="cancelled", reason="dup")))
    await asyncio.sleep(0.8)  # a few timed-out attempts (some may have acted in the QMS meanwhile)
    await qms.sim.ctx.faults.apply(FaultConfig())
    reply = await task
    assert reply["type"].endswith("command_succeeded.v1"), reply
    changes = [e for e in qms.sim.ctx.audit.entries if e.record_id == number and e.action == "change_status"]
    assert [(e.old, e.new) for e in changes] == [("open", "cancelled")]
    await exactly(qms, token, 1)


async def test_a_qms_that_goes_down_is_followed_again_when_back(qms: QmsStack, token: str) -> None:
    adapter = await qms.start_adapter()
    assert (await adapter.health()).status == "up"
    await qms.sim.ctx.faults.apply(FaultConfig(down=True))
    await qa_deviations(qms, token, 2)  # QA goes on working in the QMS while its web services are off
    health = await adapter.health()
    assert health.status == "degraded" and health.checks["qms_reachable"] == "failed"
    await asyncio.sleep(0.3)
    await qms.sim.ctx.faults.apply(FaultConfig(down=False))
    await exactly(qms, token, 2)
    assert (await adapter.health()).status == "up"
    assert (adapter.ports.metrics.registry.get_sample_value("gxplink_reconnects_total", {"system": "qms"}) or 0) >= 1


async def test_restarts_of_the_qms_and_of_the_adapter_lose_and_double_nothing(
        qms: QmsStack, token: str, ports_for: Callable[[str], AdapterPorts], tmp_path: Path) -> None:
    first = await qms.start_adapter()
    await qa_deviations(qms, f"{token}-a", 2)
    await exactly(qms, f"{token}-a", 2)
    await first.stop()
    await qa_deviations(qms, f"{token}-b", 2)  # while the adapter is off
    await qms.sims.stop()  # the QMS restarts on its data dir and port
    await qms.start_sim()
    await qa_deviations(qms, f"{token}-c", 2)
    await qms.start_adapter(initial_change_cursor=0, initial_audit_cursor=0)  # same store: resumes at its cursors
    for prefix in ("a", "b", "c"):
        await exactly(qms, f"{token}-{prefix}", 2)
    cursors = CursorStore(qms.ports.engine)
    assert await eventually(lambda: _at(cursors, CURSOR, qms.sim.store.cursor))
    assert await eventually(lambda: _at(cursors, AUDIT_CURSOR, len(qms.sim.ctx.audit.entries)))
    audit = await qms.stored(AUDIT.name, "gxp.audit.qms")
    assert len(audit) == len({e["id"] for e in audit}) == 6  # one create entry per deviation, each once


async def _at(cursors: CursorStore, name: str, position: int) -> bool:
    return await cursors.get(name) == str(position)
