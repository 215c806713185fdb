"""The MES adapter against the MES simulator over real HTTP and a real nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.mes.adapter import MesRestAdapter
from adapters.mes.config import MesAdapterConfig
from adapters.mes.feed import SKIPPED
from canonical_model.commands.mes import (
    AttachExternalReference,
    HoldBatch,
    ProvisionMasterRecipe,
    RecordQcSummary,
    ResumeBatch,
)
from canonical_model.envelope import Envelope
from canonical_model.test_result import TestResult
from messaging.dead_letters import list_dead_letters
from messaging.publisher import Publisher
from messaging.streams import AUDIT, EVENTS
from simulators.common.runner import SimulatorSet

from .conftest import eventually, stream_messages

pytestmark = pytest.mark.integration
HISTORICAL = "CART-2025-0001"


class MesStack:
    """The MES simulator on a data dir, and an MES adapter on the test's ports (store, NATS) pointed at it."""

    def __init__(self, data_dir: Path, ports: AdapterPorts) -> None:
        self.data_dir, self.ports, self.port = data_dir, ports, 0
        self.adapter: MesRestAdapter | None = None

    async def start_sim(self) -> Any:
        self.sims = SimulatorSet(self.data_dir, ("mes",), ports={"mes": self.port})
        self.endpoints = (await self.sims.start())["sim"]
        self.sim: Any = self.sims.simulators["mes"]
        self.port = self.sim.port
        return self.sim

    async def start_adapter(self, history: bool = False, **options: Any) -> MesRestAdapter:
        """A new adapter instance; without history it starts after the simulator's seeded batch (see below)."""
        auth = self.endpoints["mes_auth"]
        start = {} if history else {"initial_feed_cursor": self.sim.store.feed.last_seq,
                                    "initial_audit_cursor": len(self.sim.store.audit.entries)}
        settings = {"poll_interval_seconds": 0.1, "audit_poll_seconds": 0.2, "request_timeout_seconds": 2.0,
                    **start, **options}
        self.adapter = MesRestAdapter(self.ports, MesAdapterConfig(
            url=self.endpoints["mes"], username=auth["username"], password=auth["password"], **settings))
        await self.adapter.start()
        return self.adapter

    async def stop(self) -> None:
        """Both at once: the adapter's command consumer takes up to a second (its pull timeout) to notice."""
        await asyncio.gather(*([self.adapter.stop()] if self.adapter is not None else []), self.sims.stop())

    def expected(self, batch_id: str) -> int:
        """How many canonical events the MES's feed records of a batch stand for."""
        return sum(1 for r in self.sim.store.feed.for_batch(batch_id) if r["type"] not in SKIPPED)


@pytest.fixture
async def mes(tmp_path: Path, ports_for: Callable[[str], AdapterPorts]) -> AsyncIterator[MesStack]:
    stack = MesStack(tmp_path / "sims", ports_for("mes"))
    await stack.start_sim()
    yield stack
    await stack.stop()


async def batch_events(nc: Client, batch_id: str) -> list[dict[str, Any]]:
    return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.mes.>")
            if e.get("correlationid") == batch_id and ".command_" not in e["type"]]


async def all_of(nc: Client, batch_id: str, n: int) -> list[dict[str, Any]]:
    found = await batch_events(nc, batch_id)
    return found if len(found) >= n else []


async def replies_to(nc: Client, command: Envelope[Any]) -> list[dict[str, Any]]:
    return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.mes.>") if e.get("causationid") == command.id]


def wrap(data: Any) -> Envelope[Any]:
    return Envelope.wrap(data, source="/test", actor="service:test", sourcesystem="gxplink")


async def run_command(nc: Client, data: Any) -> dict[str, Any]:
    command = wrap(data)
    await Publisher(nc.jetstream()).publish(command)
    (reply,) = await eventually(lambda: replies_to(nc, command), timeout=20)
    return dict(reply)


async def test_the_history_and_a_running_batch_become_events_once(mes: MesStack, nc: Client, token: str) -> None:
    adapter = await mes.start_adapter(history=True)
    historical = await eventually(lambda: all_of(nc, HISTORICAL, mes.expected(HISTORICAL)))
    created = next(e for e in historical if e["type"].endswith("batch_created.v1"))
    assert created["data"]["batch"]["master_recipe_version"] == 3 and created["mapping"] == "mes/batch_created@1"
    assert sum(e["type"].endswith("step_signed_off.v1") for e in historical) == 23
    batch = f"B-{token}"
    await mes.sim.actions()["create_batch"]({"batch_id": batch})
    await mes.sim.actions()["start_batch"]({"batch_id": batch})
    await mes.sim.actions()["advance_batch"]({"batch_id": batch})
    events = await eventually(lambda: all_of(nc, batch, mes.expected(batch)))
    assert len(events) == mes.expected(batch) == len({e["id"] for e in events})
    assert {e["type"].split(".")[-2] for e in events} >= {"batch_created", "batch_state_changed", "step_signed_off",
                                                           "batch_step_completed"}
    assert not [d for d in await list_dead_letters(nc.jetstream()) if batch in d.payload or HISTORICAL in d.payload]
    skipped = adapter.ports.metrics.registry.get_sample_value("gxplink_mes_feed_skipped_total",
                                                              {"system": "mes", "kind": "parameter_recorded"})
    assert skipped is not None and skipped >= 13


async def test_the_mes_audit_trail_is_relayed(mes: MesStack, nc: Client, token: str) -> None:
    await mes.start_adapter()
    batch = f"B-{token}"
    await mes.sim.actions()["create_batch"]({"batch_id": batch})
    await mes.sim.actions()["start_batch"]({"batch_id": batch})
    await mes.sim.actions()["hold_batch"]({"batch_id": batch, "reason": f"pH excursion {token}"})

    async def entries() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.mes")
                if e["data"]["record"].get("reason") == f"pH excursion {token}"]
    (entry,) = await eventually(entries)
    record = entry["data"]["record"]
    assert record["action"] == "hold" and record["correlation"]["batch_id"] == batch
    assert record["changes"][0] == {"field": "state", "old": "in_execution", "new": "on_hold"}
    assert entry["mapping"] == "mes/audit_entry@2" and record["user_id"] == "sup.kchen"


@pytest.mark.requirement("FRS-001")
async def test_hold_resume_and_a_refused_hold(mes: MesStack, nc: Client, token: str) -> None:
    await mes.start_adapter()
    batch = f"B-{token}"
    await mes.sim.actions()["create_batch"]({"batch_id": batch})
    await mes.sim.actions()["start_batch"]({"batch_id": batch})
    held = await run_command(nc, HoldBatch(batch_id=batch, reason="pH excursion", deviation_id=f"DEV-{token}"))
    assert held["type"].endswith("command_succeeded.v1") and mes.sim.store.batch(batch)["state"] == "on_hold"
    assert mes.sim.store.batch(batch)["hold_reason"] == f"pH excursion [deviation DEV-{token}]"
    again = await run_command(nc, HoldBatch(batch_id=batch, reason="second deviation"))
    assert again["type"].endswith("command_succeeded.v1") and "already" in again["data"]["detail"]
    resumed = await run_command(nc, ResumeBatch(batch_id=batch, reason="deviation closed"))
    assert resumed["type"].endswith("command_succeeded.v1") and mes.sim.store.batch(batch)["state"] == "in_execution"
    refused = await run_command(nc, HoldBatch(batch_id=HISTORICAL, reason="too late"))
    assert refused["data"]["error_class"] == "permanent" and refused["data"]["error_code"] == "invalid-transition"
    assert "state 'completed'" in refused["data"]["detail"]
    actions = [h["action"] for h in mes.sim.store.batch(batch)["state_history"]]
    assert actions == ["release", "start", "hold", "resume"]


async def test_qc_summary_and_external_reference(mes: MesStack, nc: Client, token: str) -> None:
    await mes.start_adapter()
    result = TestResult(result_id=f"R-{token}", order_id="ORD-1", sample_id=f"SMP-{HISTORICAL}-02",
                        analyte="VIABILITY", value=88.0, unit="%", status="final", out_of_specification=False,
                        observed_at="2026-11-22T20:40:00Z", performed_by="qc.rpatel")
    recorded = await run_command(nc, RecordQcSummary(batch_id=HISTORICAL, results=(result,),
                                                     all_within_specification=True))
    summaries = mes.sim.store.batch(HISTORICAL)["qc_summaries"]
    assert recorded["data"]["references"]["qc_summary_id"] == summaries[-1]["summary_id"]
    assert summaries[-1]["results"][0]["test_code"] == "VIAB" and len(summaries) == 2
    attached = await run_command(nc, AttachExternalReference(batch_id=HISTORICAL, system="qms",
                                                             reference_type="deviation", reference_id=f"DEV-{token}"))
    refs = mes.sim.store.batch(HISTORICAL)["external_references"]
    assert attached["data"]["references"]["reference_id"] == refs[-1]["reference_id"]
    assert (refs[-1]["system"], refs[-1]["reference"]) == ("QMS", f"DEV-{token}")
    unknown = await run_command(nc, HoldBatch(batch_id=f"NOPE-{token}", reason="r"))
    assert unknown["data"]["error_code"] == "batch-not-found"


async def test_batch_records_export_and_import_as_batchml(mes: MesStack) -> None:
    adapter = await mes.start_adapter()
    xml = await adapter.export_batch_record(HISTORICAL)
    assert xml.startswith(b"<?xml") and b"http://www.mesa.org/xml/B2MML" in xml
    summary = adapter.import_batch_record(xml)
    assert summary["batch_id"] == HISTORICAL and summary["product"] == "CART-19"
    assert len(summary["steps"]) == 8 and len(summary["signatures"]) == 23


async def test_health_probes_without_side_effects(mes: MesStack) -> None:
    adapter = await mes.start_adapter()
    feed, audit = len(mes.sim.store.feed.records), len(mes.sim.store.audit.entries)
    health = await adapter.health()
    assert health.status == "up", health
    assert (len(mes.sim.store.feed.records), len(mes.sim.store.audit.entries)) == (feed, audit)


def provision(token: str, **changes: Any) -> ProvisionMasterRecipe:
    recipe = {"recipe_id": f"MR-{token}", "version": 1, "product": f"P-{token}", "unit_procedures": [
        {"name": "Expansion", "unit_class": "bioreactor", "operations": [{"name": "Expansion", "phases": [
            {"name": "Expand", "equipment_class": "bioreactor", "parameters": [
                {"name": "Temperature", "unit": "Cel", "set_point": {"value": 37.0, "unit": "Cel"}, "low": 36.0,
                 "high": 38.0, "classification": "CPP"}]}]}]},
        {"name": "Cryopreservation", "unit_class": "freezer", "operations": [{"name": "Freezing", "phases": [
            {"name": "Controlled-rate freeze", "parameters": [
                {"name": "End temperature", "unit": "Cel", "high": -80.0, "classification": "CPP"}]}]}]}]}
    data = {"transfer_id": f"TT-{token}", "master_recipe": recipe, "planned_quantity": {"value": 140.0, "unit": "mL"},
            "equipment_binding": {"bioreactor": "BR-101", "freezer": "CRF-101"}, **changes}
    return ProvisionMasterRecipe.model_validate(data)


@pytest.mark.requirement("FRS-001")
async def test_a_transferred_recipe_becomes_a_master_batch_record_once(mes: MesStack, nc: Client, token: str) -> None:
    await mes.start_adapter()
    created = await run_command(nc, provision(token))
    assert created["type"].endswith("command_succeeded.v1"), created["data"]
    assert created["data"]["references"] == {"master_batch_record_id": f"MR-{token}",
                                             "master_batch_record_version": "1", "transfer_id": f"TT-{token}"}
    record = mes.sim.store.master_batch_record(f"MR-{token}")
    assert [(s["step_id"], s["equipment_id"], s["critical"]) for s in record["steps"]] == [
        ("PH-0101", "BR-101", True), ("PH-0201", "CRF-101", True)]
    assert record["steps"][1]["parameters"][0] == {"name": "End temperature", "unit": "Cel", "sp": None, "lo": None,
                                                   "hi": -80.0, "class": "CPP"}
    again = await run_command(nc, provision(token))  # a new command with the same content
    assert again["type"].endswith("command_succeeded.v1") and "nothing changed" in again["data"]["detail"]
    assert len(mes.sim.store.data["master_batch_record_history"].get(f"MR-{token}", [])) == 0

    async def native() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.mes")
                if e["data"]["record"]["target_id"] == f"MR-{token}"]
    entries = await eventually(native)
    assert entries and all(e["data"]["record"]["correlation"]["transfer_id"] == f"TT-{token}" for e in entries)
    assert entries[0]["data"]["record"]["source_user"] == "svc-integration"


async def test_a_recipe_on_units_the_plant_lacks_is_refused_permanently(mes: MesStack, nc: Client,
                                                                        token: str) -> None:
    await mes.start_adapter()
    refused = await run_command(nc, provision(token, equipment_binding={"bioreactor": "BR-101",
                                                                       "freezer": "BR-101"}))
    assert refused["type"].endswith("command_failed.v1")
    assert (refused["data"]["error_class"], refused["data"]["error_code"]) == ("permanent", "equipment-class-mismatch")
    assert f"MR-{token}" not in mes.sim.store.data["master_batch_records"]
