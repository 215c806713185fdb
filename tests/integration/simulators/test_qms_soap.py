"""The QMS simulator over real sockets with independent SOAP clients: zeep's CLI and zeep's Client.

zeep is synchronous (requests) and the simulator runs on the test's event loop, so every zeep call
runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport

from simulators.qms.server import QmsSimulator

pytestmark = pytest.mark.integration

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NONSENSE = ("<soap:Envelope{decl}><soap:Body><nonsense/></soap:Body></soap:Envelope>", f' xmlns:soap="{SOAP11}"')


def zeep_client(sim: QmsSimulator, auth: tuple[str, str] | None = None) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False
    session.auth = auth
    return zeep.Client(sim.url, transport=Transport(session=session, timeout=10, operation_timeout=10))


async def client_for(sim: QmsSimulator, *, authenticated: bool = True) -> zeep.Client:
    auth = (sim.credentials.username, sim.credentials.password) if authenticated else None
    return await asyncio.to_thread(zeep_client, sim, auth)


async def soap(client: zeep.Client, operation: str, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(getattr(client.service, operation), *args, **kwargs)


async def post(url: str, body: bytes, auth: tuple[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        return await http.post(url, content=body, auth=auth,
                               headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})


async def test_zeep_cli_and_client_see_deviation_and_capa_operations(start_sim: Any) -> None:
    sim, _ = await start_sim("qms")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "zeep", sim.url, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "Soap11Binding: {urn:qms:quality-records:2}QualityRecordService" in text
    for op in ("CreateDeviation(", "ChangeDeviationStatus(", "CreateCapa(", "LinkCapaToDeviation(",
               "ListChangesSince(", "GetAuditEntries("):
        assert op in text
    client = await client_for(sim, authenticated=False)  # the WSDL itself needs no credentials
    ports = [p for s in client.wsdl.services.values() for p in s.ports.values()]
    ops = {op for p in ports for op in p.binding.all()}
    assert sum(bool(re.search("deviation", o, re.I)) for o in ops) >= 4
    assert sum(bool(re.search("capa", o, re.I)) for o in ops) >= 4
    assert [p.binding_options["address"] for p in ports] == [sim.address]
    assert sim.endpoints()["qms"].endswith("/qms?wsdl") and set(sim.endpoints()["qms_auth"]) == {"username",
                                                                                                  "password"}


async def test_deviation_lifecycle_with_capa_feed_and_audit(start_sim: Any) -> None:
    sim, _ = await start_sim("qms")
    client = await client_for(sim)
    cursor = (await soap(client, "ListChangesSince", 0, 1000)).nextCursor
    dev = await soap(client, "CreateDeviation", title="BR-101 temperature above 37.5 Cel", classification="major",
                     description="TIC-101 read 37.9 Cel for 12 min", batchId="CART-2026-0001", equipmentId="BR-101",
                     lotId="L-CART-2026-0001", triggeringEventId="evt-123", timeWindowStart="2026-03-02T10:00:00Z",
                     timeWindowEnd="2026-03-02T10:12:00Z")
    dev_id = dev.deviationId
    assert re.fullmatch(r"DEV-\d{4}-\d{4}", dev_id) and dev.status == "open"
    assert dev.openedBy == sim.credentials.username and dev.dueDate is not None

    with pytest.raises(Fault, match=r"\[DEV-TRANSITION\].*open to closed") as skipped:
        await soap(client, "ChangeDeviationStatus", dev_id, "closed", "trying to skip")
    assert skipped.value.code.endswith("Client.InvalidTransition")
    await soap(client, "ChangeDeviationStatus", dev_id, "under_investigation", "QA triage: investigate")
    with pytest.raises(Fault, match=r"\[DEV-INV-REQUIRED\].*no completed investigation"):
        await soap(client, "ChangeDeviationStatus", dev_id, "closed", "nothing found")
    with pytest.raises(Fault, match=r"\[AUD-REASON\]"):
        await soap(client, "ChangeDeviationStatus", dev_id, "pending_capa", "  ")

    inv = await soap(client, "CreateInvestigation", deviationId=dev_id, title="Why did TIC-101 overshoot?")
    await soap(client, "ChangeInvestigationStatus", inv.investigationId, "in_progress", "investigation started")
    with pytest.raises(Fault, match=r"\[INV-ROOT-CAUSE\]"):
        await soap(client, "ChangeInvestigationStatus", inv.investigationId, "completed", "done")
    await soap(client, "RecordRootCause", inv.investigationId, "Heater relay stuck closed", "equipment", "RCA")
    await soap(client, "ChangeInvestigationStatus", inv.investigationId, "completed", "root cause confirmed")
    await soap(client, "ChangeDeviationStatus", dev_id, "pending_capa", "CAPA needed")
    with pytest.raises(Fault, match=r"\[DEV-CAPA-REQUIRED\]"):
        await soap(client, "ChangeDeviationStatus", dev_id, "closed", "close")

    capa = await soap(client, "CreateCapa", title="Replace heater relay", capaType="corrective", owner="sup.kchen")
    linked = await soap(client, "LinkCapaToDeviation", capa.capaId, dev_id, "CAPA addresses the excursion")
    assert linked.deviationIds == [dev_id]
    closed = await soap(client, "ChangeDeviationStatus", dev_id, "closed", "CAPA in place")
    assert closed.status == "closed" and closed.capaIds == [capa.capaId] and closed.closedAt is not None
    assert closed.investigationIds == [inv.investigationId]

    feed = await soap(client, "ListChangesSince", cursor, 1000)
    kinds = [(c.recordType, c.recordId, c.action, c.status) for c in feed.changes]
    assert kinds[0] == ("deviation", dev_id, "create", "open") and kinds[-1] == ("deviation", dev_id,
                                                                                   "change_status", "closed")
    assert feed.changes[0].deviation.batchId == "CART-2026-0001" and not feed.hasMore
    assert ("capa", capa.capaId, "link", "open") in kinds
    devs = await soap(client, "ListDeviationsChangedSince", cursor)
    assert [d.deviationId for d in devs.deviations] == [dev_id] and devs.nextCursor == feed.nextCursor

    audit = (await soap(client, "GetAuditEntries", 0, 1000, dev_id)).entries
    statuses = [(e.oldValue, e.newValue, e.reason) for e in audit if e.field == "status"]
    assert statuses == [(None, "open", None), ("open", "under_investigation", "QA triage: investigate"),
                        ("under_investigation", "pending_capa", "CAPA needed"),
                        ("pending_capa", "closed", "CAPA in place")]
    assert {e.user for e in audit} == {sim.credentials.username}


async def test_unknown_ids_and_invalid_values_are_client_faults(start_sim: Any) -> None:
    sim, _ = await start_sim("qms")
    client = await client_for(sim)
    with pytest.raises(Fault, match=r"\[RECORD-UNKNOWN\] Deviation 'DEV-1999-0001'") as unknown:
        await soap(client, "GetDeviation", "DEV-1999-0001")
    assert unknown.value.code.endswith("Client.UnknownRecord")
    body = (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><q:CreateDeviation xmlns:q="urn:qms:quality-records:2">'
            "<q:title>t</q:title><q:classification>huge</q:classification></q:CreateDeviation></s:Body></s:Envelope>")
    creds = (sim.credentials.username, sim.credentials.password)
    response = await post(sim.address, body.encode(), creds)
    assert response.status_code == 500 and "Client.SchemaValidationError" in response.text and "huge" in response.text
    assert (await soap(client, "GetCapa", "CAPA-2025-0012")).effectivenessResult == "effective"


async def test_operations_need_basic_auth_but_the_wsdl_does_not(start_sim: Any) -> None:
    sim, _ = await start_sim("qms")
    anonymous = await client_for(sim, authenticated=False)
    with pytest.raises(Fault, match="authentication required"):
        await soap(anonymous, "GetDeviation", "DEV-2025-0031")
    for auth in (None, (sim.credentials.username, "wrong")):
        response = await post(sim.address, b"<x/>", auth)
        assert response.status_code == 401 and "Fault" in response.text
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_malformed_envelopes_get_faults_and_the_service_keeps_serving(start_sim: Any) -> None:
    sim, _ = await start_sim("qms")
    creds = (sim.credentials.username, sim.credentials.password)
    template, decl = NONSENSE
    for body in (template.format(decl=""), template.format(decl=decl)):
        anonymous = await post(sim.address, body.encode())  # exactly what the acceptance check sends
        assert 400 <= anonymous.status_code < 600 and "Fault" in anonymous.text
        signed_in = await post(sim.address, body.encode(), creds)
        assert signed_in.status_code == 500 and "<faultcode>soap11env:Client" in signed_in.text
    for junk in (b"", b"NOT XML", b"<a><b></a>"):
        response = await post(sim.address, junk, creds)
        assert response.status_code == 500 and "Fault" in response.text
    client = await client_for(sim)
    assert (await soap(client, "GetDeviation", "DEV-2025-0031")).status == "closed"


async def test_restart_keeps_records_counters_credentials_and_audit(start_sim: Any, tmp_path: Path) -> None:
    sim, _ = await start_sim("qms", data_dir=tmp_path / "plant")
    client = await client_for(sim)
    first = await soap(client, "CreateDeviation", title="Bag leak at fill", classification="minor")
    await soap(client, "ChangeDeviationStatus", first.deviationId, "under_investigation", "look at bag lot")
    audit_before = (await soap(client, "GetAuditEntries", 0, 1000)).lastSeq
    await sim.stop()

    again, _ = await start_sim("qms", data_dir=tmp_path / "plant")
    assert again.credentials == sim.credentials
    client = await client_for(again)
    assert (await soap(client, "GetDeviation", first.deviationId)).status == "under_investigation"
    second = await soap(client, "CreateDeviation", title="Second", classification="minor")
    assert int(second.deviationId[-4:]) == int(first.deviationId[-4:]) + 1
    entries = (await soap(client, "GetAuditEntries", 0, 1000)).entries
    assert entries[audit_before - 1].reason == "look at bag lot" and entries[-1].recordId == second.deviationId


async def test_qa_actions_through_the_admin_endpoint(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    async with httpx.AsyncClient(base_url=f"{admin}/sims/qms/actions", trust_env=False, timeout=10) as http:
        opened = (await http.post("/open_deviation", json={"title": "Viability below 70 %",
                                                           "batch_id": "CART-2026-0002", "user": "jdoe"})).json()
        dev_id = opened["deviation"]["deviation_id"]
        assert opened["deviation"]["lot_id"] == "L-CART-2026-0002"
        refused = await http.post("/advance_deviation", json={"id": dev_id, "to": "closed", "reason": "x"})
        assert refused.status_code == 422 and "DEV-TRANSITION" in refused.text
        for step in ("under_investigation", "cancelled"):
            moved = await http.post("/advance_deviation", json={"id": dev_id, "to": step, "reason": f"QA: {step}"})
            assert moved.json()["deviation"]["status"] == step
        summary = (await http.post("/records", json={})).json()
    assert summary["deviations"]["by_status"] == {"closed": 2, "cancelled": 1}
    client = await client_for(sim)
    audit = (await soap(client, "GetAuditEntries", 0, 1000, dev_id)).entries
    assert [(e.user, e.newValue) for e in audit] == [("jdoe", "open"), ("qa.mlee", "under_investigation"),
                                                     ("qa.mlee", "cancelled")]
