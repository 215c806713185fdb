"""DeltaV over OPC UA, control side: set points with limits, ISA-88 phase methods, alarms, audit trail, actions,
ISA-95 job orders, and a restart on the same data dir that keeps what these tests changed (it runs last)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asyncua import Client, ua

from simulators.common.runner import SimulatorSet
from simulators.deltav.server import NAMESPACE_URI

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class Running:
    data: Path
    sims: SimulatorSet
    endpoints: dict[str, Any]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def deltav(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    data = tmp_path_factory.mktemp("deltav-control")
    sims = SimulatorSet(data, ("deltav",))
    running = Running(data, sims, await sims.start())
    yield running
    await running.sims.stop()


@pytest.fixture
def endpoints(deltav: Running) -> dict[str, Any]:
    return deltav.endpoints


@pytest_asyncio.fixture(loop_scope="module")
async def client(endpoints: dict[str, Any]) -> AsyncIterator[Client]:
    async with Client(endpoints["sim"]["deltav"], timeout=10) as c:
        c.ns = await c.get_namespace_index(NAMESPACE_URI)  # type: ignore[attr-defined]
        yield c


class Events:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def event_notification(self, event: Any) -> None:
        self.seen.append(event)

    async def wait_for(self, test: Callable[[Any], bool], timeout: float = 10) -> Any:
        for _ in range(int(timeout / 0.1)):
            if found := [e for e in self.seen if test(e)]:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no matching event among {[getattr(e, 'Message', e) for e in self.seen]}")


async def events_from(client: Client, source: str, event_type: str | int) -> Events:
    handler = Events()
    sub = await client.create_subscription(100, handler)
    ns = client.ns  # type: ignore[attr-defined]
    etype = client.get_node(f"ns={ns};s={event_type}" if isinstance(event_type, str) else ua.NodeId(event_type))
    node = client.get_node(f"ns={ns};s={source}") if source != "Server" else client.nodes.server
    await sub.subscribe_events(node, etype)
    return handler


async def audit_entries(client: Client, after: int = 0) -> list[dict[str, Any]]:
    trail = client.get_node(f"ns={client.ns};s=AuditTrail")  # type: ignore[attr-defined]
    entries = await trail.call_method(ua.NodeId("AuditTrail/GetEntries", client.ns),  # type: ignore[attr-defined]
                                      ua.Variant(after, ua.VariantType.UInt32), ua.Variant(0, ua.VariantType.UInt32))
    return [json.loads(e) for e in entries]


async def action(endpoints: dict[str, Any], name: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"{endpoints['sim_admin']}/sims/deltav/actions/{name}", json=params)


async def test_set_point_writes_are_checked_against_limits_and_audited(client: Client) -> None:
    ns = client.ns  # type: ignore[attr-defined]
    audit = await events_from(client, "Server", ua.ObjectIds.AuditWriteUpdateEventType)
    sp = client.get_node(f"ns={ns};s=CW-101/TI-201/SP")
    await sp.write_value(ua.Variant(21.5, ua.VariantType.Double))
    assert await sp.read_value() == 21.5
    with pytest.raises(ua.uaerrors.BadOutOfRange):
        await sp.write_value(ua.Variant(30.0, ua.VariantType.Double))
    with pytest.raises(ua.uaerrors.BadTypeMismatch):
        await sp.write_value(ua.Variant(22, ua.VariantType.Int32))
    with pytest.raises(ua.uaerrors.BadNotWritable):
        await client.get_node(f"ns={ns};s=CW-101/TI-201/PV").write_value(ua.Variant(1.0, ua.VariantType.Double))
    assert await sp.read_value() == 21.5
    entry = [e for e in await audit_entries(client) if e["record_id"] == "CW-101/TI-201/SP"]
    assert [(e["user"], e["action"], e["field"], e["old"], e["new"]) for e in entry] == [
        ("anonymous", "write", "SP", 20.0, 21.5)]
    refused = await audit.wait_for(lambda e: e.NewValue == 30.0)
    assert (refused.Status, refused.OldValue, refused.ClientUserId) == (False, 21.5, "anonymous")
    assert (await audit.wait_for(lambda e: e.NewValue == 21.5)).Status is True


async def test_phase_methods_follow_the_isa88_state_model(client: Client) -> None:
    ns = client.ns  # type: ignore[attr-defined]
    events = await events_from(client, "SEL-101", "PhaseStateEventType")
    calls = await events_from(client, "Server", ua.ObjectIds.AuditUpdateMethodEventType)
    phase = client.get_node(f"ns={ns};s=SEL-101/Phase")
    state = client.get_node(f"ns={ns};s=SEL-101/Phase/CurrentState")

    async def call(method: str, *args: str) -> str:
        return str(await phase.call_method(ua.NodeId(f"SEL-101/Phase/{method}", ns), *args))

    async def settles_to(expected: str) -> None:
        for _ in range(50):
            if await state.read_value() == expected:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"phase never reached {expected}; it is {await state.read_value()}")

    with pytest.raises(ua.uaerrors.BadInvalidState):
        await call("Hold", "not running yet")
    with pytest.raises(ua.uaerrors.BadInvalidArgument):
        await call("Start", "B-7", "PH-9999")
    assert await call("Start", "B-2024-007", "") == "RUNNING"
    assert await client.get_node(f"ns={ns};s=SEL-101/Phase/PhaseId").read_value() == "PH-0201"
    assert await client.get_node(f"ns={ns};s=SEL-101/Phase/BatchId").read_value() == "B-2024-007"
    with pytest.raises(ua.uaerrors.BadInvalidState):
        await call("Start", "B-2024-008", "")
    assert await call("Hold", "bead lot check") == "HOLDING"
    await settles_to("HELD")
    assert await call("Restart") == "RESTARTING"
    await settles_to("RUNNING")
    assert await call("Abort", "operator abort") == "ABORTING"
    await settles_to("ABORTED")
    assert await call("Reset") == "IDLE"
    await events.wait_for(lambda e: e.ToState == "IDLE")
    assert [(e.FromState, e.ToState) for e in events.seen] == [
        ("IDLE", "RUNNING"), ("RUNNING", "HOLDING"), ("HOLDING", "HELD"), ("HELD", "RESTARTING"),
        ("RESTARTING", "RUNNING"), ("RUNNING", "ABORTING"), ("ABORTING", "ABORTED"), ("ABORTED", "IDLE")]
    refused = await calls.wait_for(lambda e: e.Status is False)
    assert refused.StatusCodeId.name == "BadInvalidState" and refused.MethodId == ua.NodeId("SEL-101/Phase/Hold", ns)
    assert [v.Value for v in refused.InputArguments] == ["not running yet"] and refused.ClientUserId == "anonymous"
    held = [e for e in await audit_entries(client) if e["record_id"] == "SEL-101" and e["new"] == "HOLDING"]
    assert held and held[0]["user"] == "anonymous" and held[0]["reason"] == "bead lot check"


async def test_an_excursion_raises_and_clears_a_limit_alarm(client: Client, endpoints: dict[str, Any]) -> None:
    ns = client.ns  # type: ignore[attr-defined]
    alarms = await events_from(client, "BR-101", ua.ObjectIds.ExclusiveLimitAlarmType)
    response = await action(endpoints, "inject_excursion", unit="BR-101", value="Temperature", to=38.3, seconds=1)
    assert response.status_code == 200, response.text
    active = await alarms.wait_for(lambda e: getattr(e, "ActiveState/Id") is True)
    assert active.Severity == 700 and active.ConditionName == "PV_ALM" and "HI alarm" in active.Message.Text
    assert active.SourceNode == ua.NodeId("BR-101/TIC-101", ns) and active.HighLimit == 37.5
    cleared = await alarms.wait_for(lambda e: getattr(e, "ActiveState/Id") is False, timeout=15)
    assert cleared.Retain is False
    assert await client.get_node(f"ns={ns};s=BR-101/TIC-101/PV_ALM").read_value() == "NORMAL"
    trail = [(e["old"], e["new"]) for e in await audit_entries(client) if e["record_id"] == "BR-101/TIC-101/PV_ALM"]
    assert trail == [("NORMAL", "HI"), ("HI", "NORMAL")]


async def test_actions_drive_the_batch_as_the_batch_executive(client: Client, endpoints: dict[str, Any]) -> None:
    ns = client.ns  # type: ignore[attr-defined]
    started = await action(endpoints, "start_batch", batch_id="B-2024-011", unit="BR-101", phase="PH-0501")
    assert started.status_code == 200, started.text
    assert (started.json()["state"], started.json()["phase_id"]) == ("RUNNING", "PH-0501")
    assert await client.get_node(f"ns={ns};s=BR-101/Phase/BatchId").read_value() == "B-2024-011"
    assert (await action(endpoints, "hold", unit="BR-101", reason="pH drift")).json()["state"] == "HOLDING"
    refused = await action(endpoints, "complete_phase", unit="BR-101")
    assert refused.status_code == 422 and "COMPLETE is not allowed" in refused.text
    state = (await action(endpoints, "state", unit="BR-101")).json()
    assert set(state["values"]) == {"Temperature", "pH", "DissolvedOxygen", "RockingRate"}
    assert state["values"]["pH"]["tag"] == "BR-101/AIC-102/PV" and state["batch_id"] == "B-2024-011"
    unknown = await action(endpoints, "start_batch", batch_id="B-1", unit="BR-999")
    assert unknown.status_code == 422


async def test_the_audit_trail_is_readable_and_announced_over_opc_ua(client: Client,
                                                                      endpoints: dict[str, Any]) -> None:
    ns = client.ns  # type: ignore[attr-defined]
    events = await events_from(client, "AuditTrail", "AuditTrailEntryEventType")
    last = await client.get_node(f"ns={ns};s=AuditTrail/LastSeq").read_value()
    response = await action(endpoints, "set_setpoint", unit="CRF-101", value="ChamberTemperature", sp=2.0,
                            user="sup.kchen", reason="pre-cool")
    assert response.status_code == 200, response.text
    entry = await events.wait_for(lambda e: e.RecordId == "CRF-101/TI-301/SP")
    assert (entry.Seq, entry.ClientUserId, entry.OldValue, entry.NewValue, entry.Reason) == (
        last + 1, "sup.kchen", "4.0", "2.0", "pre-cool")
    page = await audit_entries(client, after=last)
    assert page[0]["seq"] == last + 1 and all(e["seq"] > last for e in page)
    assert (page[0]["user"], page[0]["record_id"], page[0]["reason"]) == ("sup.kchen", "CRF-101/TI-301/SP", "pre-cool")
    assert await client.get_node(f"ns={ns};s=AuditTrail/LastSeq").read_value() >= last + 1


async def test_isa95_job_orders_run_as_phases(client: Client) -> None:
    """An MES downloads a job order through ISA95-JOBCONTROL; the batch executive runs it on the unit."""
    ns = client.ns  # type: ignore[attr-defined]
    await client.load_data_type_definitions()
    jns = await client.get_namespace_index("http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/")
    receiver = client.get_node(f"ns={ns};s=JobOrderControl")

    async def call(method: str, *args: Any) -> int:
        return int(await receiver.call_method(f"{jns}:{method}", *args))

    def order(job_id: str, unit: str, phase: str = "") -> Any:
        return ua.ISA95JobOrderDataType(  # type: ignore[attr-defined]
            JobOrderID=job_id, EquipmentRequirements=[ua.ISA95EquipmentDataType(ID=unit)],  # type: ignore[attr-defined]
            WorkMasterID=[ua.ISA95WorkMasterDataType(ID=phase)] if phase else [])  # type: ignore[attr-defined]

    async def job_states() -> dict[str, list[str]]:
        entries = await client.get_node(f"ns={ns};s=JobOrderControl.JobOrderList").read_value()
        return {e.JobOrder.JobOrderID: [s.StateText.Text for s in e.State] for e in entries}

    comment = ua.Variant([ua.LocalizedText("released by MES")], ua.VariantType.LocalizedText)
    assert await call("StoreAndStart", order("B-JOB-1", "CW-101", "PH-0601"), comment) == 1
    phase = f"ns={ns};s=CW-101/Phase"
    assert await client.get_node(f"{phase}/CurrentState").read_value() == "RUNNING"
    assert await client.get_node(f"{phase}/BatchId").read_value() == "B-JOB-1"
    assert (await job_states())["B-JOB-1"] == ["Running"]
    assert await call("Store", order("B-JOB-1", "CW-101"), comment) == 16  # duplicate: unable to accept
    assert await call("Store", order("B-JOB-2", "XX-999"), comment) == 16  # unknown equipment
    assert await call("Start", "B-JOB-404", comment) == 2  # unknown job order id
    assert await call("Pause", "B-JOB-1", comment) == 1
    assert await call("Clear", "B-JOB-1", comment) == 4  # not ended yet: invalid command
    assert await call("Abort", "B-JOB-1", comment) == 1
    for _ in range(30):
        if (await job_states())["B-JOB-1"] == ["Aborted"]:
            break
        await asyncio.sleep(0.1)
    assert (await job_states())["B-JOB-1"] == ["Aborted"]
    assert await call("Clear", "B-JOB-1", comment) == 1
    assert "B-JOB-1" not in await job_states()
    assert await client.get_node(f"{phase}/CurrentState").read_value() == "IDLE"
    trail = [(e["action"], e["new"]) for e in await audit_entries(client) if e["record_id"] == "B-JOB-1"]
    assert trail == [("storeandstart", "AllowedToStart"), ("clear", "Removed")]


async def test_a_restart_keeps_set_points_phases_and_the_trail(deltav: Running) -> None:
    """Runs last: restarts this module's DeltaV on its data dir while BR-101 is RESTARTING."""
    assert (await action(deltav.endpoints, "restart", unit="BR-101")).json()["state"] == "RESTARTING"
    await deltav.sims.stop()  # the phase logic finishes the restart after the new start
    deltav.sims = SimulatorSet(deltav.data, ("deltav",))
    before, deltav.endpoints = deltav.endpoints, await deltav.sims.start()
    assert deltav.endpoints["sim"]["deltav_auth"] == before["sim"]["deltav_auth"]
    async with Client(deltav.endpoints["sim"]["deltav"], timeout=10) as client:
        client.ns = await client.get_namespace_index(NAMESPACE_URI)  # type: ignore[attr-defined]
        ns = client.ns  # type: ignore[attr-defined]
        assert await client.get_node(f"ns={ns};s=CW-101/TI-201/SP").read_value() == 21.5
        assert await client.get_node(f"ns={ns};s=CRF-101/TI-301/SP").read_value() == 2.0
        assert await client.get_node(f"ns={ns};s=BR-101/Phase/BatchId").read_value() == "B-2024-011"
        state = client.get_node(f"ns={ns};s=BR-101/Phase/CurrentState")
        for _ in range(30):
            if await state.read_value() == "RUNNING":
                break
            await asyncio.sleep(0.1)
        assert await state.read_value() == "RUNNING"
        trail = await audit_entries(client)
    assert [e["seq"] for e in trail] == list(range(1, len(trail) + 1))
    assert [e["new"] for e in trail if e["record_id"] == "BR-101" and e["field"] == "state"][-2:] == [
        "RESTARTING", "RUNNING"]
