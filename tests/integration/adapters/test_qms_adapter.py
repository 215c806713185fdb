"""The QMS adapter against the QMS simulator over real SOAP (zeep, async) and a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from adapters.base import AdapterPorts
from adapters.qms.adapter import QmsSoapAdapter
from adapters.qms.audit import CURSOR as AUDIT_CURSOR
from adapters.qms.config import QmsAdapterConfig
from canonical_model.commands.qms import ChangeDeviationStatus, LinkCapa, OpenDeviation
from canonical_model.envelope import Envelope
from messaging.publisher import Publisher
from messaging.streams import AUDIT, COMMANDS, DEAD_LETTERS, EVENTS
from simulators.common.runner import SimulatorSet
from storage.cursors import CursorStore

from .conftest import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def nc(private_nc: Client) -> Client:
    """Other modules' QMS simulators replay the same seeded history, whose event ids would otherwise be
    dropped here as duplicates of theirs."""
    return private_nc


QA = "qa.mlee"


class QmsStack:
    """The QMS simulator on a data dir (same port across restarts), and QMS adapters on the test's ports."""

    def __init__(self, data_dir: Path, ports: AdapterPorts, nc: Client) -> None:
        self.data_dir, self.ports, self.nc, self.port = data_dir, ports, nc, 0
        self.adapter: QmsSoapAdapter | None = None
        self.marks: dict[str, int] = {}

    async def start_sim(self) -> Any:
        self.sims = SimulatorSet(self.data_dir, ("qms",), ports={"qms": self.port})
        self.endpoints = (await self.sims.start())["sim"]
        self.sim: Any = self.sims.simulators["qms"]
        self.port = self.sim.port
        return self.sim

    async def mark(self) -> None:
        """Messages stored from now on are this test's (the nats-server is shared by the session)."""
        for stream in (EVENTS.name, AUDIT.name, DEAD_LETTERS.name):
            self.marks[stream] = (await self.nc.jetstream().stream_info(stream)).state.last_seq + 1

    async def start_adapter(self, history: bool = False, **options: Any) -> QmsSoapAdapter:
        """A new adapter; without history it starts after the records the QMS migrated at go-live."""
        auth = self.endpoints["qms_auth"]
        start = {} if history else {"initial_change_cursor": self.sim.store.cursor,
                                    "initial_audit_cursor": len(self.sim.ctx.audit.entries)}
        settings = {"poll_interval_seconds": 0.1, "audit_poll_seconds": 0.2, "request_timeout_seconds": 2.0,
                    **start, **options}
        self.adapter = QmsSoapAdapter(self.ports, QmsAdapterConfig(
            wsdl_url=self.endpoints["qms"], username=auth["username"], password=auth["password"], **settings))
        await self.adapter.start()
        return self.adapter

    async def stop(self) -> None:
        await asyncio.gather(*([self.adapter.stop()] if self.adapter is not None else []), self.sims.stop())

    async def stored(self, stream: str, subject: str) -> list[dict[str, Any]]:
        """This test's messages on `subject` (wildcards allowed), decoded."""
        found: list[dict[str, Any]] = []
        seq = self.marks.get(stream, 1)
        while True:
            try:
                msg = await self.nc.jetstream().get_msg(stream, seq=seq, subject=subject, next=True)
            except NotFoundError:
                return found
            found.append(json.loads(msg.data or b"{}"))
            seq = (msg.seq or seq) + 1

    async def events(self, kind: str = ">") -> list[dict[str, Any]]:
        return [e for e in await self.stored(EVENTS.name, f"gxp.evt.qms.{kind}") if ".command_" not in e["type"]]

    async def run(self, data: Any, timeout: float = 20) -> dict[str, Any]:
        """Publish a command and wait for its one reply."""
        command = Envelope.wrap(data, source="/test", actor="service:test", sourcesystem="gxplink")
        await Publisher(self.nc.jetstream()).publish(command)

        async def replies() -> list[dict[str, Any]]:
            return [e for e in await self.stored(EVENTS.name, "gxp.evt.qms.>") if e.get("causationid") == command.id]
        (reply,) = await eventually(replies, timeout=timeout)
        return dict(reply)


@pytest.fixture
async def qms(tmp_path: Path, ports_for: Callable[[str], AdapterPorts], nc: Client) -> AsyncIterator[QmsStack]:
    js = nc.jetstream()  # each test starts without QMS commands of earlier tests, and with a fresh consumer
    await js.purge_stream(COMMANDS.name, subject="gxp.cmd.qms.>")
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(COMMANDS.name, "adapter_qms_commands")
    stack = QmsStack(tmp_path / "sims", ports_for("qms"), nc)
    await stack.start_sim()
    await stack.mark()
    yield stack
    await stack.stop()


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == f"io.gxplink.evt.qms.{name}.v1"]


def skipped(adapter: QmsSoapAdapter, kind: str) -> float:
    value = adapter.ports.metrics.registry.get_sample_value("gxplink_qms_feed_skipped_total",
                                                            {"system": "qms", "kind": kind})
    return value or 0.0


async def test_history_and_a_quality_workflow_become_events_once(qms: QmsStack) -> None:
    actions = qms.sim.actions()
    dev = (await actions["open_deviation"]({"title": "pH low on BR-101", "batch_id": "CART-2026-0001",
                                            "equipment_id": "BR-101"}))["deviation"]["deviation_id"]
    other = (await actions["open_deviation"]({"title": "Door alarm CRF-101"}))["deviation"]["deviation_id"]
    inv = (await actions["open_investigation"]({"deviation_id": dev}))["investigation"]["investigation_id"]
    await actions["complete_investigation"]({"id": inv, "root_cause": "probe drift", "reason": "done"})
    await actions["advance_deviation"]({"id": dev, "to": "under_investigation", "reason": "investigating"})
    capa = (await actions["open_capa"]({"title": "Recalibrate", "deviation_ids": [dev]}))["capa"]["capa_id"]
    qms.sim.store.link("capa", capa, "deviation", other, "same root cause", QA)  # a second link: enrichment needed
    cc = qms.sim.store.create("change_control", {"title": "Interval 14 -> 7 days", "description": "SOP-EQ-0107",
                                                  "change_type": "equipment", "capa_ids": [capa]}, "sup.kchen")
    adapter = await qms.start_adapter(history=True)
    expected = {"deviation_opened": 4, "investigation_opened": 3, "capa_opened": 2, "change_control_opened": 2,
                "deviation_status_changed": 1, "capa_linked": 2}

    async def complete() -> list[dict[str, Any]]:
        found = await qms.events()
        return found if len(found) >= sum(expected.values()) else []
    events = await eventually(complete)
    await asyncio.sleep(0.3)  # a few more polls: nothing else may arrive
    events = await qms.events()
    assert {k: len(of_type(events, k)) for k in expected} == expected
    assert len(events) == sum(expected.values()) == len({e["id"] for e in events})
    links = {(e["data"]["record_type"], e["data"]["record_id"]) for e in of_type(events, "capa_linked")}
    assert links == {("deviation", other), ("change_control", cc["id"])}
    opened = next(e for e in of_type(events, "deviation_opened") if e["data"]["deviation"]["deviation_id"] == dev)
    assert opened["data"]["deviation"]["batch_id"] == "CART-2026-0001" and opened["actor"] == f"user:{QA}"
    assert all(e["mapping"].startswith("qms/") and e["sourcesystem"] == "qms" for e in events)
    assert await qms.stored(DEAD_LETTERS.name, "gxp.dlq.>") == []
    assert skipped(adapter, "investigation.change_status") == 2 and skipped(adapter, "investigation.update") == 1
    assert skipped(adapter, "deviation.link") == 3 and skipped(adapter, "change_control.link") == 0


async def test_the_qms_audit_trail_is_relayed_with_its_cursor(qms: QmsStack) -> None:
    await qms.start_adapter()
    dev = (await qms.sim.actions()["open_deviation"]({"title": "Label misprint"}))["deviation"]["deviation_id"]
    await qms.sim.actions()["advance_deviation"]({"id": dev, "to": "cancelled", "reason": "duplicate of DEV-X"})

    async def entries() -> list[dict[str, Any]]:
        found = await qms.stored(AUDIT.name, "gxp.audit.qms")
        return found if len(found) >= 2 else []
    create, cancel = await eventually(entries)
    record = cancel["data"]["record"]
    assert record["action"] == "change_status" and record["target_id"] == dev and record["user_id"] == QA
    assert record["changes"][0] == {"field": "status", "old": "open", "new": "cancelled"}
    assert record["reason"] == "duplicate of DEV-X" and record["correlation"]["deviation_id"] == dev
    assert create["data"]["record"]["action"] == "create" and cancel["mapping"] == "qms/audit_entry@1"
    cursors, last = CursorStore(qms.ports.engine), str(len(qms.sim.ctx.audit.entries))

    async def moved() -> bool:
        return await cursors.get(AUDIT_CURSOR) == last
    assert await eventually(moved)


@pytest.mark.requirement("FRS-001")
async def test_open_deviation_with_its_context_and_move_it(qms: QmsStack, token: str) -> None:
    await qms.start_adapter()
    window = {"start": "2026-11-22T20:10:00Z", "end": "2026-11-22T20:26:00Z"}
    reply = await qms.run(OpenDeviation.model_validate({
        "title": f"BR-101 temperature high {token}", "description": "TIC-101 read 38.1 Cel for 12 min",
        "classification": "critical", "initiator": "service:orchestrator", "batch_id": "CART-2026-0008",
        "lot_id": "L-CART-2026-0008", "equipment_id": "BR-101", "triggering_event_id": f"evt-{token}",
        "triggering_event_time": "2026-11-22T20:14:05Z", "time_window": window}))
    assert reply["type"].endswith("command_succeeded.v1"), reply
    number = reply["data"]["references"]["deviation_id"]
    held = qms.sim.store.get("deviation", number)
    assert (held["batch_id"], held["lot_id"], held["equipment_id"], held["triggering_event_id"]) == (
        "CART-2026-0008", "L-CART-2026-0008", "BR-101", f"evt-{token}")
    assert held["time_window_start"] == "2026-11-22T20:10:00+00:00" and held["classification"] == "critical"
    moved = await qms.run(ChangeDeviationStatus(deviation_id=number, status="under_investigation", reason="QA"))
    again = await qms.run(ChangeDeviationStatus(deviation_id=number, status="under_investigation", reason="QA"))
    assert moved["type"].endswith("command_succeeded.v1") and again["type"].endswith("command_succeeded.v1")
    assert "already" in again["data"]["detail"] and qms.sim.store.get("deviation", number)["status"] == \
        "under_investigation"
    refused = await qms.run(ChangeDeviationStatus(deviation_id=number, status="closed", reason="done"))
    assert refused["type"].endswith("command_failed.v1") and refused["data"]["error_class"] == "permanent"
    assert refused["data"]["error_code"] == "Client.InvalidTransition" and "[DEV-INV-REQUIRED]" in \
        refused["data"]["detail"]
    unknown = await qms.run(ChangeDeviationStatus(deviation_id="DEV-1999-0001", status="cancelled", reason="x"))
    assert unknown["data"]["error_code"] == "Client.UnknownRecord", unknown


async def test_link_capa_to_a_deviation_and_a_change_control(qms: QmsStack) -> None:
    await qms.start_adapter()
    actions = qms.sim.actions()
    dev = (await actions["open_deviation"]({"title": "pH low"}))["deviation"]["deviation_id"]
    capa = (await actions["open_capa"]({"title": "Recalibrate", "deviation_ids": [dev]}))["capa"]["capa_id"]
    cc = qms.sim.store.create("change_control", {"title": "Interval", "description": "SOP", "change_type": "method"},
                              "sup.kchen")["id"]
    other = (await actions["open_deviation"]({"title": "pH low again"}))["deviation"]["deviation_id"]
    to_deviation = await qms.run(LinkCapa(capa_id=capa, record_type="deviation", record_id=other))
    to_change = await qms.run(LinkCapa(capa_id=capa, record_type="change_control", record_id=cc))
    to_investigation = await qms.run(LinkCapa(capa_id=capa, record_type="investigation", record_id="INV-2026-0001"))
    assert to_deviation["type"].endswith("command_succeeded.v1") and to_change["type"].endswith("succeeded.v1")
    assert to_change["data"]["references"] == {"capa_id": capa, "change_control_id": cc}
    assert to_investigation["data"]["error_class"] == "permanent", to_investigation
    held = qms.sim.store.get("capa", capa)
    assert held["deviation_ids"] == sorted([dev, other]) and held["change_control_ids"] == [cc]

    async def linked() -> list[dict[str, Any]]:
        found = of_type(await qms.events("capa_linked"), "capa_linked")
        return found if len(found) >= 2 else []
    events = await eventually(linked)
    assert {(e["data"]["record_type"], e["data"]["record_id"]) for e in events} == {("deviation", other),
                                                                                      ("change_control", cc)}
    assert all(e["actor"] == "service:adapter-qms" for e in events)
