"""The DeltaV adapter against the DeltaV simulator over OPC UA (Basic256Sha256 SignAndEncrypt) and a real nats-server:
events, alarms, faults, commands and the native audit trail."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from adapters.base import AdapterPorts
from adapters.deltav.adapter import DeltaVOpcUaAdapter
from adapters.framework.commands import command_consumer
from canonical_model.base import Quantity
from canonical_model.commands.deltav import ChangeSetpoint, HoldBatchPhase, RestartBatchPhase, StartBatchPhase
from canonical_model.envelope import Envelope
from messaging.dead_letters import list_dead_letters
from messaging.publisher import Publisher
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet

from ...contract.deltav_harness import fast_config
from .conftest import eventually, stream_messages

pytestmark = pytest.mark.integration


@dataclasses.dataclass
class Stack:
    adapter: DeltaVOpcUaAdapter
    sims: SimulatorSet
    sim: Any
    endpoints: dict[str, Any]
    ports: AdapterPorts
    data: Path


async def fresh_command_consumer(nc: Client) -> None:
    """Only commands published from now on: earlier tests' DeltaV commands must not act on this simulator."""
    spec = command_consumer("deltav")
    with contextlib.suppress(Exception):
        await nc.jetstream().delete_consumer(spec.stream, spec.durable)
    config = dataclasses.replace(spec, deliver_policy=DeliverPolicy.NEW).config()
    config.name = spec.durable
    await nc.jetstream().add_consumer(spec.stream, config=config)


@pytest.fixture
async def deltav(tmp_path: Path, ports_for: Callable[[str], AdapterPorts], nc: Client) -> AsyncIterator[Stack]:
    sims = SimulatorSet(tmp_path / "sims", ("deltav",))
    endpoints = await sims.start()
    await fresh_command_consumer(nc)
    ports = ports_for("deltav")
    config = fast_config(endpoints["sim"]["deltav"], endpoints["sim"]["deltav_auth"], tmp_path / "pki")
    adapter = DeltaVOpcUaAdapter(ports, config)
    await adapter.start()
    yield Stack(adapter, sims, sims.simulators["deltav"], endpoints, ports, tmp_path)
    await adapter.stop()
    await sims.stop()


async def events(nc: Client, name: str, test: Callable[[dict[str, Any]], bool] = lambda e: True,
                 stream: str = "GXP_EVENTS") -> list[dict[str, Any]]:
    return [e for e in await stream_messages(nc, stream, name) if test(e)]


def for_batch(batch: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e.get("correlationid") == batch


async def command(nc: Client, data: Any, batch: str | None = None) -> dict[str, Any]:
    """Publish a command and wait for its one reply."""
    envelope = Envelope.wrap(data, source="/test", actor="service:test", sourcesystem="gxplink", correlationid=batch)
    await Publisher(nc.jetstream()).publish(envelope)
    replies = await eventually(lambda: events(nc, "gxp.evt.deltav.>", lambda e: e.get("causationid") == envelope.id),
                               timeout=20)
    assert len(replies) == 1, replies
    reply: dict[str, Any] = replies[0]
    return reply


async def test_process_values_alarms_and_phases_flow_once(deltav: Stack, nc: Client, token: str) -> None:
    batch, actions = f"CART-{token}", deltav.sim.actions()
    await eventually(lambda: _ready(deltav))
    await actions["start_batch"]({"unit": "BR-101", "batch_id": batch})
    values = await eventually(lambda: events(nc, "gxp.evt.deltav.process_value_recorded", for_batch(batch)))
    assert values and all(v["data"]["batch_id"] == batch and v["mapping"] == "deltav/process_value@2" for v in values)
    assert {v["data"]["value"]["equipment_id"] for v in values} == {"BR-101"}
    (started,) = await eventually(lambda: events(nc, "gxp.evt.deltav.batch_phase_changed", for_batch(batch)))
    phase = started["data"]["phase"]  # from the event, or from the first resync's read if that came first
    assert (phase["unit_id"], phase["phase"], phase["state"]) == ("BR-101", "PH-0301", "running")

    await actions["inject_excursion"]({"unit": "BR-101", "value": "Temperature", "to": 39.5, "seconds": 1.5})
    await deltav.sim.ctx.faults.apply(FaultConfig(duplicate_rate=1.0))  # every notification arrives twice
    alarms = await eventually(lambda: _at_least(events(nc, "gxp.evt.deltav.>", lambda e: for_batch(batch)(e) and
                                                       "alarm_" in e["type"]), 2), timeout=20)
    await deltav.sim.ctx.faults.apply(FaultConfig(malformed_rate=1.0))  # NaN with Good status
    await asyncio.sleep(0.6)
    await deltav.sim.ctx.faults.apply(FaultConfig())
    raised, cleared = sorted(alarms, key=lambda e: e["data"]["alarm"]["time"])[:2]
    assert raised["type"].endswith("alarm_raised.v1") and cleared["type"].endswith("alarm_cleared.v1")
    assert raised["data"]["alarm"]["alarm_id"] == cleared["data"]["alarm"]["alarm_id"]
    assert raised["data"]["alarm"]["tag"] == "BR-101/TIC-101/PV_ALM" and raised["data"]["alarm"]["severity"] == 700

    mine = await events(nc, "gxp.evt.deltav.>", for_batch(batch))
    assert len({e["id"] for e in mine}) == len(mine)
    samples = [(e["data"]["value"]["tag"], e["data"]["value"]["source_time"]) for e in mine if "value" in e["data"]]
    assert len(set(samples)) == len(samples)
    letters = await eventually(lambda: _nan_letters(nc, batch))
    assert letters[0].reason and "not a valid number" in letters[0].reason and letters[0].origin == "deltav"
    audit = await eventually(lambda: events(nc, "gxp.audit.deltav", lambda e: e["data"]["record"]["correlation"]
                                            .get("batch_id") == batch, stream="GXP_AUDIT"))
    assert audit[0]["data"]["record"]["source_user"] == "batch.executive"


@pytest.mark.requirement("FRS-001")
async def test_commands_write_set_points_and_call_phase_methods(deltav: Stack, nc: Client, token: str) -> None:
    batch = f"CART-{token}"
    await eventually(lambda: _ready(deltav))
    before = len(deltav.sim.ctx.audit.entries)
    assert (await deltav.adapter.health()).status == "up"
    assert len(deltav.sim.ctx.audit.entries) == before  # the health probe leaves no trace in the DCS
    ok = await command(nc, ChangeSetpoint(tag="BR-101/TIC-101/SP", equipment_id="BR-101", set_point=Quantity(
        value=37.2, unit="Cel"), reason="expansion per MBR 5.3"))
    assert ok["type"].endswith("command_succeeded.v1"), ok
    assert (await deltav.sim.actions()["state"]({"unit": "BR-101"}))["values"]["Temperature"]["sp"] == 37.2
    changed = await eventually(lambda: events(nc, "gxp.evt.deltav.setpoint_changed",
                                              lambda e: e["data"]["set_point"]["value"] == 37.2))
    assert changed[0]["data"]["previous"] == {"value": 37.0, "unit": "Cel"}
    assert changed[0]["data"]["changed_by"] == "opcua.integration"
    out_of_range = await command(nc, ChangeSetpoint(tag="BR-101/TIC-101/SP", equipment_id="BR-101",
                                                    set_point=Quantity(value=45.0, unit="Cel"), reason="too hot"))
    assert out_of_range["data"]["error_class"] == "permanent" and out_of_range["data"]["error_code"] == "BadOutOfRange"
    wrong_unit = await command(nc, ChangeSetpoint(tag="BR-101/TIC-101/SP", equipment_id="BR-101",
                                                  set_point=Quantity(value=99.0, unit="[degF]"), reason="units"))
    assert wrong_unit["data"]["error_class"] == "permanent" and "is in Cel" in wrong_unit["data"]["detail"]

    started = await command(nc, StartBatchPhase(batch_id=batch, unit_id="BR-101", phase="PH-0501"), batch)
    assert started["type"].endswith("command_succeeded.v1") and started["data"]["references"]["state"] == "RUNNING"
    invalid = await command(nc, RestartBatchPhase(batch_id=batch, unit_id="BR-101", phase="PH-0501", reason="go"))
    assert invalid["data"]["error_class"] == "permanent" and invalid["data"]["error_code"] == "BadInvalidState"
    other = await command(nc, HoldBatchPhase(batch_id="CART-OTHER", unit_id="BR-101", phase="PH-0501", reason="x"))
    assert other["data"]["error_code"] == "BatchMismatch"
    held = await command(nc, HoldBatchPhase(batch_id=batch, unit_id="BR-101", phase="PH-0501", reason="leak check"))
    assert held["type"].endswith("command_succeeded.v1")
    states = await eventually(lambda: _states(nc, batch, {"running", "holding", "held"}), timeout=10)
    assert states >= {"running", "holding", "held"}
    journal = [e for e in deltav.sim.ctx.audit.entries if e.record_id == "BR-101" and e.new == "HOLDING"]
    assert journal[0].user == "opcua.integration" and journal[0].reason == "leak check"


async def _ready(stack: Stack) -> bool:
    return stack.adapter.supervisor.ready.is_set()


async def _states(nc: Client, batch: str, wanted: set[str]) -> set[str]:
    found = {e["data"]["phase"]["state"] for e in await events(nc, "gxp.evt.deltav.batch_phase_changed",
                                                                 for_batch(batch))}
    return found if found >= wanted else set()


async def _at_least(found: Any, n: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = await found
    return items if len(items) >= n else []


async def _nan_letters(nc: Client, batch: str) -> list[Any]:
    return [d for d in await list_dead_letters(nc.jetstream()) if "NaN" in d.payload and batch in d.payload]
