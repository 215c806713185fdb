"""Every injected fault of the QMS simulator, set through the admin endpoint and seen over the socket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.transports import Transport

from simulators.qms.server import QmsSimulator

pytestmark = pytest.mark.integration

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
GET_DEVIATION = (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><q:GetDeviation xmlns:q="urn:qms:quality-records:2">'
                 "<q:deviationId>DEV-2025-0031</q:deviationId></q:GetDeviation></s:Body></s:Envelope>").encode()


async def set_faults(admin_url: str, **faults: object) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.put(f"{admin_url}/sims/qms/faults", json=faults)
        response.raise_for_status()


async def client_for(sim: QmsSimulator) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False
    session.auth = (sim.credentials.username, sim.credentials.password)
    transport = Transport(session=session, timeout=10, operation_timeout=10)
    return await asyncio.to_thread(zeep.Client, sim.url, transport=transport)


async def soap(client: zeep.Client, operation: str, *args: Any) -> Any:
    return await asyncio.to_thread(getattr(client.service, operation), *args)


async def post(sim: QmsSimulator, timeout: float = 10) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=timeout) as http:
        return await http.post(sim.address, content=GET_DEVIATION, auth=(sim.credentials.username,
                                                                         sim.credentials.password),
                               headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetDeviation"'})


async def test_latency_delays_answers_past_a_short_client_timeout(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    await set_faults(admin, latency_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        await post(sim, timeout=0.2)
    await set_faults(admin)
    assert (await post(sim)).status_code == 200


async def test_down_refuses_connections_and_comes_back_on_the_same_port(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    url = sim.url
    await set_faults(admin, down=True)
    with pytest.raises(httpx.ConnectError):
        await post(sim)
    await set_faults(admin, down=False)
    assert sim.url == url and (await post(sim)).status_code == 200
    client = await client_for(sim)
    assert (await soap(client, "GetDeviation", "DEV-2025-0031")).equipmentId == "BR-101"


async def test_error_rate_answers_with_soap_server_faults(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    client = await client_for(sim)
    await set_faults(admin, error_rate=1.0)
    with pytest.raises(Fault, match="not available") as fault:
        await soap(client, "GetDeviation", "DEV-2025-0031")
    assert fault.value.code.endswith("Server.Unavailable")
    response = await post(sim)
    assert response.status_code == 500 and "<faultcode>soap11env:Server.Unavailable</faultcode>" in response.text
    await set_faults(admin, error_rate=0.0)
    assert (await soap(client, "GetDeviation", "DEV-2025-0031")).status == "closed"


def malformation(body: bytes) -> str:
    try:
        root = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return "truncated"
    return "wrong namespace" if etree.QName(root).namespace != SOAP11 else "well formed"


async def test_malformed_rate_truncates_or_renamespaces_the_reply(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    client = await client_for(sim)
    await set_faults(admin, malformed_rate=1.0)
    responses = [await post(sim) for _ in range(6)]
    assert all(r.status_code == 200 for r in responses)
    assert {malformation(r.content) for r in responses} == {"truncated", "wrong namespace"}
    with pytest.raises((zeep.exceptions.Error, etree.XMLSyntaxError)):
        await soap(client, "GetDeviation", "DEV-2025-0031")
    await set_faults(admin, malformed_rate=0.0)
    assert malformation((await post(sim)).content) == "well formed"


async def test_duplicate_rate_delivers_feed_entries_twice(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    client = await client_for(sim)
    clean = await soap(client, "ListChangesSince", 0, 100)
    await set_faults(admin, duplicate_rate=1.0)
    doubled = await soap(client, "ListChangesSince", 0, 100)
    seqs = [c.changeSeq for c in clean.changes]
    assert [c.changeSeq for c in doubled.changes] == [s for s in seqs for _ in range(2)]
    assert doubled.nextCursor == clean.nextCursor
    deviations = (await soap(client, "ListDeviationsChangedSince", 0, 100)).deviations
    assert [d.deviationId for d in deviations] == ["DEV-2025-0027"] * 2 + ["DEV-2025-0031"] * 2


async def test_clock_skew_shifts_every_timestamp_the_qms_writes(start_sim: Any) -> None:
    sim, admin = await start_sim("qms")
    client = await client_for(sim)
    await set_faults(admin, clock_skew_seconds=7200)
    server_time = await soap(client, "GetServerTime")
    assert server_time - datetime.now(UTC) > timedelta(seconds=7000)
    dev = await asyncio.to_thread(client.service.CreateDeviation, title="Skewed", classification="minor")
    assert dev.openedAt - datetime.now(UTC) > timedelta(seconds=7000)
    audit = (await soap(client, "GetAuditEntries", 0, 1000, dev.deviationId)).entries
    assert audit[0].at - datetime.now(UTC) > timedelta(seconds=7000)
