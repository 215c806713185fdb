"""The zeep client: answers serialised, faults and failures classified; no network.

The QMS simulator's own application answers in-process (httpx's ASGI/WSGI transports), so real spyne
SOAP is parsed; respx stands in for what only a network gives (refused connections, timeouts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import respx

from adapters.qms.api import QmsFault
from adapters.qms.client import ZeepQmsClient
from messaging.errors import PermanentError, RetryableError
from simulators.common.base import SimContext
from simulators.common.faults import FaultConfig
from simulators.qms.server import QmsSimulator

pytestmark = pytest.mark.unit
ADDRESS = "http://qms.test/qms"


@pytest.fixture
def sim(tmp_path: Path) -> QmsSimulator:
    simulator = QmsSimulator(SimContext(system="qms", data_dir=tmp_path / "qms"))
    simulator.wsgi.doc.wsdl11.build_interface_document(ADDRESS)
    return simulator


@pytest.fixture
async def client(sim: QmsSimulator) -> AsyncIterator[ZeepQmsClient]:
    built = ZeepQmsClient(f"{ADDRESS}?wsdl", sim.credentials.username, sim.credentials.password,
                          transport=in_process(sim), wsdl_transport=httpx.WSGITransport(app=sim.wsgi))
    await built.open()
    yield built
    await built.close()


def in_process(sim: QmsSimulator) -> httpx.ASGITransport:
    """The simulator's HTTP front (auth, faults, spyne) answering on this event loop, without a socket."""
    return httpx.ASGITransport(app=cast(Any, sim.gateway))


def wsdl(sim: QmsSimulator) -> bytes:
    return bytes(sim.wsgi.doc.wsdl11.get_interface_document())


async def test_the_feed_and_the_audit_trail_read_as_serialised_records(client: ZeepQmsClient) -> None:
    page = await client.changes(0, 2)
    assert page.has_more and [c["changeSeq"] for c in page.records] == [1, 2]
    first = page.records[0]
    assert first["action"] == "import" and first["deviation"]["deviationId"] == first["recordId"]
    assert isinstance(first["changedAt"], datetime) and first["capa"] is None
    entries, last = await client.audit(0, 500, record_id="CAPA-2025-0012")
    assert {e["recordId"] for e in entries} == {"CAPA-2025-0012"} and last >= len(entries)
    assert await client.probe()


async def test_create_returns_the_record_and_a_refusal_is_a_client_fault(client: ZeepQmsClient) -> None:
    created = await client.call("CreateDeviation", {"title": "t", "classification": "minor", "description": "d"})
    assert created["deviationId"].startswith("DEV-") and created["status"] == "open"
    with pytest.raises(QmsFault) as refused:
        await client.call("ChangeDeviationStatus", {"deviationId": created["deviationId"], "newStatus": "closed",
                                                    "reason": "r"})
    assert refused.value.code == "Client.InvalidTransition" and "[DEV-TRANSITION]" in refused.value.message
    with pytest.raises(QmsFault) as invalid:
        await client.call("ChangeDeviationStatus", {"deviationId": "x", "newStatus": "bogus", "reason": "r"})
    assert invalid.value.code == "Client.SchemaValidationError"
    with pytest.raises(PermanentError, match="cannot call"):
        await client.call("CreateDeviation", {"title": "t", "colour": "red"})


async def test_server_faults_and_malformed_answers_are_retryable(client: ZeepQmsClient, sim: QmsSimulator) -> None:
    await sim.ctx.faults.apply(FaultConfig(error_rate=1.0))
    with pytest.raises(RetryableError, match=r"Server\.Unavailable"):
        await client.changes(0, 5)
    assert not await client.probe()
    await sim.ctx.faults.apply(FaultConfig(malformed_rate=1.0))
    for _ in range(6):  # cut off, or a SOAP 1.2 envelope: both are malformed answers
        with pytest.raises(RetryableError, match="malformed"):
            await client.changes(0, 5)


async def test_wrong_credentials_are_a_permanent_client_fault(sim: QmsSimulator) -> None:
    client = ZeepQmsClient(f"{ADDRESS}?wsdl", "qms.integration", "wrong", transport=in_process(sim),
                           wsdl_transport=httpx.WSGITransport(app=sim.wsgi))
    await client.open()
    with pytest.raises(QmsFault) as refused:
        await client.changes(0, 1)
    assert refused.value.code == "Client.Authentication" and "wrong" not in str(refused.value)
    await client.close()


@respx.mock
async def test_down_slow_and_5xx_are_retryable_and_the_wsdl_is_read_again(sim: QmsSimulator) -> None:
    respx.get(f"{ADDRESS}?wsdl").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200,
                                                                                                content=wsdl(sim))])
    post = respx.post(ADDRESS)
    client = ZeepQmsClient(f"{ADDRESS}?wsdl", "u", "p", timeout=0.5)
    await client.open()
    with pytest.raises(RetryableError, match="WSDL"):
        await client.changes(0, 1)  # the QMS was down when the adapter started
    post.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(RetryableError, match="not reachable"):
        await client.changes(0, 1)
    post.mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RetryableError, match="ReadTimeout"):
        await client.changes(0, 1)
    post.mock(return_value=httpx.Response(503))
    with pytest.raises(RetryableError, match="503"):
        await client.changes(0, 1)
    post.mock(return_value=httpx.Response(404))
    with pytest.raises(PermanentError, match="404"):
        await client.changes(0, 1)
    assert post.calls.last.request.headers["authorization"].startswith("Basic ")
    await client.close()


@respx.mock
async def test_the_endpoint_can_differ_from_the_wsdl_address(sim: QmsSimulator) -> None:
    respx.get(f"{ADDRESS}?wsdl").mock(return_value=httpx.Response(200, content=wsdl(sim)))
    moved = respx.post("https://proxy.test/qms").mock(return_value=httpx.Response(500, content=_fault()))
    client = ZeepQmsClient(f"{ADDRESS}?wsdl", "u", "p", endpoint_url="https://proxy.test/qms")
    await client.open()
    with pytest.raises(RetryableError, match=r"Server\.Busy: later"):
        await client.call("GetServerTime", {})
    assert moved.called and client.url == "https://proxy.test/qms"
    await client.close()


def _fault(code: str = "Server.Busy", text: str = "later") -> Any:
    return (f'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
            f"<faultcode>e:{code}</faultcode><faultstring>{text}</faultstring></e:Fault></e:Body></e:Envelope>").encode()
