"""The LIMS adapter against the LIMS simulator over real MLLP and a real nats-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hl7.mllp import open_hl7_connection
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.lims.adapter import LimsHl7Adapter
from adapters.lims.config import LimsAdapterConfig
from canonical_model.commands.lims import PlaceTestOrder, ProvisionSpecifications
from canonical_model.envelope import Envelope
from messaging.dead_letters import list_dead_letters
from messaging.publisher import Publisher
from messaging.streams import AUDIT, EVENTS
from simulators.common.runner import SimulatorSet

from .conftest import eventually, stream_messages

pytestmark = pytest.mark.integration


@pytest.fixture
async def lims_stack(tmp_path: Path, ports_for: Callable[[str], AdapterPorts]
                     ) -> AsyncIterator[tuple[LimsHl7Adapter, Any, AdapterPorts]]:
    sims = SimulatorSet(tmp_path / "sims", ("lims",))
    endpoints = await sims.start()
    sim = sims.simulators["lims"]
    ports = ports_for("lims")
    adapter = LimsHl7Adapter(ports, LimsAdapterConfig(lims_url=endpoints["sim"]["lims"], audit_poll_seconds=0.5,
                                                      ack_timeout_seconds=3))
    await adapter.start()
    await adapter.start()  # idempotent
    await sim.actions()["set_receiver"]({"url": adapter.endpoints()["lims_mllp"]})
    await sim.actions()["configure"]({"result_delay_seconds": 0.1})
    yield adapter, sim, ports
    await adapter.stop()
    await adapter.stop()
    await sims.stop()


async def send(url: str, message: bytes) -> bytes:
    host, port = url.removeprefix("mllp://").split(":")
    reader, writer = await open_hl7_connection(host, int(port))
    writer.writeblock(message)
    await writer.drain()
    answer = await asyncio.wait_for(reader.readblock(), 10)
    writer.close()
    return bytes(answer)


def for_batch(batch: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e.get("correlationid") == batch


async def test_results_from_the_lims_become_events_once(lims_stack: Any, nc: Client, token: str) -> None:
    _, sim, _ = lims_stack
    batch = f"CART-{token}"
    order = await sim.actions()["create_order"]({"batch_id": batch, "sample_id": f"S-{token}"})

    async def results() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.lims.>") if for_batch(batch)(e)]
    events = await eventually(lambda: _at_least(results, 8))
    assert {e["data"]["result"]["analyte"] for e in events} >= {"VIABILITY", "VCN", "STERILITY"}
    assert all(e["mapping"] == "lims/oru_r01@1" and e["traceparent"] for e in events)
    await sim.actions()["correct_result"]({"order_id": order["order_id"], "code": "VCN", "value": 2.2,
                                           "reason": "recount"})
    corrected = await eventually(lambda: _types(results, "io.gxplink.evt.lims.test_result_corrected.v1"))
    assert corrected[0]["data"]["result"]["corrects_result_id"].endswith("-VCN")
    assert len({e["id"] for e in await results()}) == len(await results())


@pytest.mark.requirement("FRS-001")
async def test_a_resent_message_is_acknowledged_again_and_stored_once(lims_stack: Any, nc: Client,
                                                                       token: str) -> None:
    adapter, _, _ = lims_stack
    oru = (f"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20261122101500+0000||ORU^R01^ORU_R01|M-{token}|P|2.5.1\r"
           f"ORC|RE||ORD-{token}^LIMS|B-{token}\rOBR|1||ORD-{token}^LIMS|VIAB\r"
           "OBX|1|NM|VIAB^Viability^L||91|%|>=70|N|||F|||20261122100000+0000||qc.rpatel\r").encode()
    url = adapter.endpoints()["lims_mllp"]
    assert b"MSA|AA|M-" in await send(url, oru)
    assert b"MSA|AA|M-" in await send(url, oru)
    stored = [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.lims.>") if for_batch(f"B-{token}")(e)]
    assert len(stored) == 1


@pytest.mark.requirement("URS-003", "P11-010")
async def test_bad_input_is_refused_with_a_reason_and_dead_lettered(lims_stack: Any, nc: Client,
                                                                   token: str) -> None:
    adapter, _, _ = lims_stack
    url = adapter.endpoints()["lims_mllp"]
    bad = (f"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20261122101500||ORU^R01|BAD-{token}|P|2.5.1\r"
           "OBR|1||O1|VIAB\rOBX|1|NM|VIAB||ninety|%|||||F|||20261122100000||qc\r").encode()
    answer = await send(url, bad)
    assert f"MSA|AE|BAD-{token}".encode() in answer and b"ERR|" in answer and b"not a valid number" in answer
    garbage = await send(url, f"GARBAGE-{token}|NOT|HL7\r".encode())
    assert b"MSA|AR" in garbage
    letters = [d for d in await list_dead_letters(nc.jetstream()) if token in d.payload]
    reasons = sorted(d.reason for d in letters)
    assert len(letters) == 2 and "OBX #1 OBX-5" in reasons[0] and "must start with an MSH" in reasons[1]
    assert any(d.headers.get("mapping") == "lims/oru_r01@1" for d in letters)
    assert adapter.running  # keeps serving


@pytest.mark.requirement("URS-004")
async def test_an_order_command_reaches_the_lims_and_is_answered_once(lims_stack: Any, nc: Client,
                                                                      token: str) -> None:
    adapter, sim, _ = lims_stack
    command = Envelope.wrap(
        PlaceTestOrder(placer_order_id=f"PO-{token}", sample_id=f"S-{token}", sample_type="final_product",
                       batch_id=f"B-{token}", tests=("VIABILITY", "ENDOTOXIN")),
        source="/test", actor="service:test", sourcesystem="gxplink", correlationid=f"B-{token}")
    await Publisher(nc.jetstream()).publish(command)

    async def replies() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.lims.>")
                if e["type"].startswith("io.gxplink.evt.lims.command_") and e.get("causationid") == command.id]
    (reply,) = await eventually(replies)
    assert reply["type"] == "io.gxplink.evt.lims.command_succeeded.v1"
    orders = (await sim.actions()["orders"]({"batch_id": f"B-{token}"}))["orders"]
    assert len(orders) == 1 and orders[0]["placer_order"] == f"PO-{token}"

    # A redelivered command (same id) is not executed again: the executor answers from its memory
    sub = await nc.jetstream().pull_subscribe("gxp.cmd.lims.>", stream="GXP_COMMANDS")
    msg = next(m for m in await sub.fetch(50, timeout=5) if json.loads(m.data)["id"] == command.id)
    await adapter.commands.executor(msg)
    assert len((await sim.actions()["orders"]({"batch_id": f"B-{token}"}))["orders"]) == 1
    assert len(await replies()) == 1


async def test_an_order_the_lims_cannot_take_is_answered_with_a_permanent_failure(lims_stack: Any, nc: Client,
                                                                                  token: str) -> None:
    command = Envelope.wrap(
        PlaceTestOrder(placer_order_id=f"PO-{token}", sample_id=f"S-{token}", sample_type="final_product",
                       tests=("KARYOTYPE",)), source="/test", actor="service:test", sourcesystem="gxplink")
    await Publisher(nc.jetstream()).publish(command)

    async def replies() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.lims.>")
                if e["type"].startswith("io.gxplink.evt.lims.command_") and e.get("causationid") == command.id]
    (reply,) = await eventually(replies)
    assert reply["data"]["error_class"] == "permanent" and "lims_order_codes" in reply["data"]["detail"]


async def test_the_lims_audit_trail_is_relayed(lims_stack: Any, nc: Client, token: str) -> None:
    _, sim, _ = lims_stack
    await sim.actions()["create_order"]({"batch_id": f"AUD-{token}", "sample_id": f"S-{token}"})

    async def entries() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.lims")
                if json.dumps(e).find(f"AUD-{token}") >= 0]
    found = await eventually(entries)
    record = found[0]["data"]["record"]
    assert record["source_system"] == "lims" and record["changes"][0]["new"] == f"AUD-{token}"


async def test_health_probes_without_side_effects(lims_stack: Any) -> None:
    adapter, sim, _ = lims_stack
    before = len(sim.ctx.audit.entries)
    health = await adapter.health()
    assert health.status == "up", health
    assert len(sim.ctx.audit.entries) == before


async def run_command(nc: Client, data: Any) -> dict[str, Any]:
    command = Envelope.wrap(data, source="/test", actor="service:test", sourcesystem="gxplink")
    await Publisher(nc.jetstream()).publish(command)

    async def replies() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.lims.>")
                if e["type"].startswith("io.gxplink.evt.lims.command_") and e.get("causationid") == command.id]
    (reply,) = await eventually(replies, timeout=20)
    return dict(reply)


def specifications(token: str, viability_low: float = 75.0) -> ProvisionSpecifications:
    release = {"spec_id": "SPEC-CART19-REL", "product": "CART-19", "version": 3, "limits": [
        {"analyte": "VIABILITY", "low": viability_low, "unit": "%"},
        {"analyte": f"IL{token[1:7].upper()}", "low": 10.0, "high": 90.0, "unit": "pg/mL"},
        {"analyte": "STER", "text_criterion": "No growth"}]}
    ipc = {"spec_id": f"SPEC-IPC-{token}", "product": "CART-19", "version": 1, "limits": [
        {"analyte": "MYCO", "text_criterion": "Not detected"}]}
    methods = [{"method_id": f"TM-IL-{token}", "name": "Interleukin by ELISA", "version": 2,
                "analytes": [f"IL{token[1:7].upper()}"]}]
    return ProvisionSpecifications(transfer_id=f"TT-{token}", specifications=(release, ipc),
                                   analytical_methods=methods)


@pytest.mark.requirement("FRS-001")
async def test_specifications_and_methods_are_provisioned_as_master_files(lims_stack: Any, nc: Client,
                                                                          token: str) -> None:
    _, sim, _ = lims_stack
    reply = await run_command(nc, specifications(token))
    assert reply["type"].endswith("command_succeeded.v1"), reply["data"]
    assert reply["data"]["detail"] == "LIMS posted 4 master file records (MFN^M08, MFN^M09)"
    catalog, code = sim.store.catalog, f"IL{token[1:7].upper()}"
    assert catalog["specification"]["version"] == 3 and catalog["tests"]["VIAB"]["lo"] == 75.0
    assert catalog["tests"][code]["method_id"] == f"TM-IL-{token}"
    assert catalog["methods"][f"TM-IL-{token}"]["version"] == 2
    assert catalog["specifications"][f"SPEC-IPC-{token}"]["versions"]["1"]["limits"]["MYCO"]["text_spec"] == \
        "Not detected"
    again = await run_command(nc, specifications(token))  # another command, the same content: nothing changes
    assert again["type"].endswith("command_succeeded.v1")

    order = await sim.actions()["create_order"]({"batch_id": f"B-{token}", "tests": ["VIAB", code]})
    await sim.actions()["release_results"]({"order_id": order["order_id"]})
    results = (await sim.actions()["orders"]({"batch_id": f"B-{token}"}))["orders"][0]["results"]
    assert results["VIAB"]["range"] == ">=75" and results[code]["range"] == "10-90" and results[code]["flag"] == "N"

    async def native() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.lims")
                if f"change TT-{token}/" in (e["data"]["record"].get("reason") or "")]
    entries = await eventually(native)
    assert {e["data"]["record"]["target_type"] for e in entries} >= {"specification", "test", "method"}


async def test_a_changed_approved_specification_is_refused_with_the_lims_reason(lims_stack: Any, nc: Client,
                                                                               token: str) -> None:
    _, sim, _ = lims_stack
    assert (await run_command(nc, specifications(token)))["type"].endswith("command_succeeded.v1")
    refused = await run_command(nc, specifications(token, viability_low=80.0))
    assert refused["type"].endswith("command_failed.v1") and refused["data"]["error_class"] == "permanent"
    assert "AE 205" in refused["data"]["detail"] and "holds other limits for VIAB" in refused["data"]["detail"]
    assert sim.store.catalog["tests"]["VIAB"]["lo"] == 75.0


async def _at_least(fetch: Callable[[], Any], n: int) -> list[dict[str, Any]]:
    found = await fetch()
    return found if len(found) >= n else []


async def _types(fetch: Callable[[], Any], ce_type: str) -> list[dict[str, Any]]:
    return [e for e in await fetch() if e["type"] == ce_type]
