"""The built-in excursion workflow (v2) on a real nats-server and SQLite: a value outside its recipe range,
or a DeltaV alarm, opens one deviation per excursion, holds the batch and resumes it once assessed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.envelope import Envelope
from canonical_model.events.deltav import AlarmRaised, ProcessValueRecorded
from canonical_model.events.mes import BatchCreated, MasterRecipeApproved
from canonical_model.events.qms import DeviationStatusChanged
from canonical_model.ids import deterministic_id
from canonical_model.replies import succeeded_type
from messaging.publisher import Publisher
from orchestrator.builtin import builtin_registry
from orchestrator.engine.store import WorkflowStore
from orchestrator.engine.worker import Orchestrator
from storage.engine import default_url, make_engine

from .test_engine import stored_commands, wait_for

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
TEMPERATURE = {"name": "Temperature", "unit": "Cel", "set_point": {"value": 37.0, "unit": "Cel"}, "low": 36.5,
               "high": 37.5, "classification": "CPP"}


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    sql = make_engine(default_url(tmp_path))
    yield sql
    await sql.dispose()


@pytest.fixture
async def orchestrator(nc: Client, engine: AsyncEngine) -> AsyncIterator[Orchestrator]:
    worker = Orchestrator(builtin_registry(), WorkflowStore(engine), nc.jetstream(), Publisher(nc.jetstream()),
                          poll_seconds=0.05)
    await worker.start()
    yield worker
    await worker.stop()


async def publish(nc: Client, data: Any, system: str, correlationid: str | None = None) -> dict[str, Any]:
    envelope = Envelope.wrap(data, source=f"/test/{system}", actor=f"service:{system}-adapter",
                             sourcesystem=system, correlationid=correlationid)
    await Publisher(nc.jetstream()).publish(envelope)
    return envelope.model_dump(mode="json", exclude_none=True)


async def batch_on_recipe(nc: Client, token: str) -> str:
    """An approved recipe of this test (Temperature a CPP on BR-101 in two steps, pH a KPP) and a batch on it."""
    recipe, batch = f"MR-{token}", f"B-{token}"
    await publish(nc, MasterRecipeApproved.model_validate({
        "recipe_id": recipe, "version": 2, "product": "CART-19", "steps": [
            {"step_id": "PH-0301", "name": "Activate", "unit_procedure": "Activation", "equipment_id": "BR-101",
             "parameters": [TEMPERATURE]},
            {"step_id": "PH-0501", "name": "Expand", "unit_procedure": "Expansion", "equipment_id": "BR-101",
             "parameters": [TEMPERATURE, {"name": "pH", "unit": "[pH]", "low": 7.0, "high": 7.4,
                                          "classification": "KPP"}]}]}), "mes")
    await publish(nc, BatchCreated.model_validate({"batch": {
        "batch_id": batch, "product": "CART-19", "master_recipe_id": recipe, "master_recipe_version": 2,
        "state": "created", "created_at": NOW.isoformat()}}), "mes", batch)
    return batch


async def value(nc: Client, batch: str, reading: float, *, tag: str = "BR-101/TIC-101/PV", unit: str = "Cel",
                parameter: str = "Temperature", quality: str = "good", seconds: int = 0) -> dict[str, Any]:
    return await publish(nc, ProcessValueRecorded.model_validate({"batch_id": batch, "value": {
        "tag": tag, "equipment_id": "BR-101", "value": reading, "unit": unit, "quality": quality,
        "parameter": parameter, "source_time": (NOW + timedelta(seconds=seconds)).isoformat()}}), "deltav", batch)


async def alarm(nc: Client, batch: str, token: str) -> dict[str, Any]:
    return await publish(nc, AlarmRaised.model_validate({"alarm": {
        "alarm_id": f"BR-101/TIC-101/PV_ALM#{token}", "tag": "BR-101/TIC-101/PV_ALM", "equipment_id": "BR-101",
        "severity": 700, "message": "BR-101/TIC-101 Temperature HI alarm: PV 38.4 Cel beyond HI_LIM 37.5",
        "state": "active", "time": NOW.isoformat(), "batch_id": batch}}), "deltav", batch)


async def commands(nc: Client, batch: str) -> list[dict[str, Any]]:
    """The commands of the batch's excursions (their business key is `<batch>:<control module>`)."""
    return await stored_commands(nc, lambda doc: str(doc.get("correlationid", "")).startswith(f"{batch}:"))


async def succeed(nc: Client, command: dict[str, Any], **references: str) -> None:
    system = command["type"].split(".")[3]
    reply = succeeded_type(system)(command_id=command["id"], command_type=command["type"],  # type: ignore[call-arg]
                                   completed_at=NOW, references=references)
    await Publisher(nc.jetstream()).publish(Envelope.wrap(
        reply, id=deterministic_id("test-reply", command["id"]), source="/test", actor="service:test",
        sourcesystem=system, causationid=command["id"]))  # type: ignore[arg-type]


async def instances(orchestrator: Orchestrator, batch: str) -> list[dict[str, Any]]:
    return [i for i in await orchestrator.store.list_instances() if i["business_key"].startswith(f"{batch}:")]


@pytest.mark.requirement("URS-002")
async def test_a_cpp_outside_its_recipe_range_opens_a_deviation_and_holds_the_batch(
        nc: Client, orchestrator: Orchestrator, token: str) -> None:
    batch = await batch_on_recipe(nc, token)
    await value(nc, batch, 37.2)  # within range
    await value(nc, batch, 7.8, tag="BR-101/AIC-102/PV", unit="[pH]", parameter="pH")  # out of range, but a KPP
    await value(nc, batch, 38.6, quality="uncertain", seconds=1)  # a doubtful reading is no evidence
    await value(nc, batch, 99.0, unit="[degF]", seconds=2)  # another unit than the recipe's: not compared
    excursion = await value(nc, batch, 38.4, seconds=3)
    (opened,) = await wait_for(lambda: commands(nc, batch))
    assert opened["type"] == "io.gxplink.cmd.qms.open_deviation.v1"
    deviation = opened["data"]
    assert deviation["title"] == "CPP excursion on BR-101: Temperature 38.4 Cel"
    assert "outside the recipe range of " in deviation["description"] and "36.5 to 37.5 Cel (step PH-0301)" in \
        deviation["description"] and "(step PH-0501)" in deviation["description"]
    assert deviation["classification"] == "major" and deviation["batch_id"] == batch
    assert deviation["triggering_event_id"] == excursion["id"]
    window = deviation["time_window"]
    assert window["start"] < excursion["data"]["value"]["source_time"] < window["end"]

    await value(nc, batch, 38.9, seconds=4)  # the same excursion goes on
    await alarm(nc, batch, token)  # and the DCS alarms on it: still the one deviation
    await succeed(nc, opened, deviation_id=f"DEV-{token}")
    hold = (await wait_for(lambda: _nth(nc, batch, 2)))[1]
    assert hold["type"] == "io.gxplink.cmd.mes.hold_batch.v1" and hold["data"]["deviation_id"] == f"DEV-{token}"
    (instance,) = await instances(orchestrator, batch)
    assert instance["workflow"] == "excursion" and instance["version"] == 2
    assert instance["input"]["parameter"] == "Temperature" and instance["input"]["recipe"] == f"MR-{token} v2"

    await succeed(nc, hold)
    reference = (await wait_for(lambda: _nth(nc, batch, 3)))[2]
    await succeed(nc, reference)
    await publish(nc, DeviationStatusChanged.model_validate({
        "deviation_id": f"DEV-{token}", "previous_status": "under_investigation", "status": "pending_capa",
        "changed_at": NOW.isoformat(), "changed_by": "qa.mlee", "reason": "root cause found"}), "qms")
    resume = (await wait_for(lambda: _nth(nc, batch, 4)))[3]
    assert resume["type"] == "io.gxplink.cmd.mes.resume_batch.v1"
    history, _ = await orchestrator.store.history(instance["id"])
    assert [h.step for h in history][:2] == ["assess excursion", "open deviation"]


@pytest.mark.requirement("URS-002")
async def test_an_alarm_first_also_opens_only_one_deviation(nc: Client, orchestrator: Orchestrator,
                                                           token: str) -> None:
    batch = await batch_on_recipe(nc, token)
    await alarm(nc, batch, token)
    (opened,) = await wait_for(lambda: commands(nc, batch))
    assert opened["data"]["title"] == "Process excursion on BR-101: BR-101/TIC-101/PV_ALM"
    await value(nc, batch, 38.4)
    await wait_for(lambda: _nth(nc, batch, 2), timeout=2)
    assert len(await commands(nc, batch)) == 1 and len(await instances(orchestrator, batch)) == 1


async def test_values_of_a_batch_whose_recipe_is_unknown_open_nothing(nc: Client, orchestrator: Orchestrator,
                                                                      token: str) -> None:
    batch = f"B-{token}"
    await value(nc, batch, 45.0)
    await wait_for(lambda: instances(orchestrator, batch), timeout=2)
    assert await instances(orchestrator, batch) == [] and await commands(nc, batch) == []


async def _nth(nc: Client, batch: str, n: int) -> list[dict[str, Any]] | None:
    found = await commands(nc, batch)
    return found if len(found) >= n else None
