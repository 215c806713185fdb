"""The httpx client against a mocked MES (respx): paths, Basic auth, and how every failure is classified."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from adapters.mes.api import MesProblem
from adapters.mes.client import MesHttpClient
from messaging.errors import PermanentError, RetryableError

pytestmark = pytest.mark.unit
URL = "http://mes.test:8080"
SECRET = "s3cret-pa55"
PROBLEM = "application/problem+json"


@pytest.fixture
async def client() -> AsyncIterator[MesHttpClient]:
    mes = MesHttpClient(URL, "svc-integration", SECRET, timeout=1.0)
    await mes.open()
    yield mes
    await mes.close()


@respx.mock
async def test_a_feed_page_is_read_with_basic_auth_and_the_cursor(client: MesHttpClient) -> None:
    route = respx.get(f"{URL}/events", params={"after": "7", "limit": "50"}).respond(json={
        "events": [{"seq": 8, "type": "batch_created"}], "next_cursor": 8, "has_more": True})
    page = await client.events(7, 50)
    assert page.records == [{"seq": 8, "type": "batch_created"}] and page.has_more
    sent = route.calls.last.request.headers["authorization"]
    assert sent == "Basic " + base64.b64encode(f"svc-integration:{SECRET}".encode()).decode()


@respx.mock
async def test_an_audit_page_has_more_when_it_is_full(client: MesHttpClient) -> None:
    respx.get(f"{URL}/audit").respond(json={"entries": [{"seq": 1}, {"seq": 2}], "next_cursor": 2})
    assert (await client.audit(0, 2)).has_more
    assert not (await client.audit(0, 3)).has_more


@respx.mock
async def test_batch_ids_are_one_path_segment(client: MesHttpClient) -> None:
    route = respx.post(f"{URL}/batches/A%2FB%3F/transitions").respond(json={"batch_id": "A/B?"})
    await client.transition("A/B?", {"action": "hold", "reason": "r"})
    assert route.called and route.calls.last.request.content == b'{"action":"hold","reason":"r"}'


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
@respx.mock
async def test_429_and_5xx_are_retryable(client: MesHttpClient, status: int) -> None:
    respx.get(f"{URL}/batches/B1").respond(status, json={"type": "urn:mes:problem:service-unavailable",
                                                          "title": "x", "status": status, "detail": "busy"})
    with pytest.raises(RetryableError, match="busy"):
        await client.batch("B1")


@respx.mock
async def test_a_4xx_problem_is_permanent_with_its_detail_and_type(client: MesHttpClient) -> None:
    respx.post(f"{URL}/batches/B1/transitions").respond(409, headers={"content-type": PROBLEM}, json={
        "type": "urn:mes:problem:invalid-transition", "title": "Conflict", "status": 409,
        "detail": "cannot hold batch B1 in state 'completed'", "state": "completed"})
    with pytest.raises(MesProblem) as caught:
        await client.transition("B1", {"action": "hold", "reason": "r"})
    assert isinstance(caught.value, PermanentError)
    assert caught.value.status == 409 and caught.value.code == "invalid-transition"
    assert "cannot hold batch B1 in state 'completed'" in str(caught.value)


@respx.mock
async def test_a_4xx_without_a_problem_body_is_still_permanent(client: MesHttpClient) -> None:
    respx.get(f"{URL}/batches/B1").respond(404, text="<html>not here</html>")
    with pytest.raises(MesProblem, match="not here"):
        await client.batch("B1")


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                   httpx.RemoteProtocolError("cut"), httpx.ReadError("reset")])
@respx.mock
async def test_transport_failures_are_retryable(client: MesHttpClient, error: Exception) -> None:
    respx.get(f"{URL}/events").mock(side_effect=error)
    with pytest.raises(RetryableError):
        await client.events(0, 10)


@pytest.mark.parametrize("body", [b'{"events": [{"seq": 1, "ty', b'{"events": {}}', b'{"events": [{"type": "x"}]}',
                                  b"[]"])
@respx.mock
async def test_cut_off_or_malformed_pages_are_retryable(client: MesHttpClient, body: bytes) -> None:
    respx.get(f"{URL}/events").respond(200, content=body, headers={"content-type": "application/json"})
    with pytest.raises(RetryableError):
        await client.events(0, 10)


@respx.mock
async def test_credentials_never_appear_in_errors(client: MesHttpClient) -> None:
    respx.get(f"{URL}/batches/B1").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(RetryableError) as caught:
        await client.batch("B1")
    assert SECRET not in str(caught.value) and SECRET not in repr(client.__dict__.get("_auth"))


@respx.mock
async def test_batchml_is_returned_as_bytes(client: MesHttpClient) -> None:
    route = respx.get(f"{URL}/batches/B1/batchml").respond(200, content=b"<BatchProductionRecord/>")
    assert await client.batchml("B1") == b"<BatchProductionRecord/>"
    assert route.calls.last.request.headers["accept"] == "application/xml"


@respx.mock
async def test_probe_says_whether_an_authenticated_read_works(client: MesHttpClient) -> None:
    respx.get(f"{URL}/events").mock(side_effect=[httpx.Response(200, json={"events": []}), httpx.Response(401),
                                                 httpx.ConnectError("refused")])
    assert await client.probe() is True
    assert await client.probe() is False
    assert await client.probe() is False


async def test_a_closed_client_is_not_reachable() -> None:
    mes = MesHttpClient(URL, "u", "p")
    assert await mes.probe() is False
    with pytest.raises(RetryableError, match="not open"):
        await mes.batch("B1")
