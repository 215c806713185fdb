"""The HTTP client against respx: authentication, fault classification, OData paging and literals."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from adapters.erp.api import OutcomeUnknown
from adapters.erp.client import ErpHttpClient
from messaging.errors import PermanentError, RetryableError

pytestmark = pytest.mark.unit
URL = "http://erp.test"


@pytest.fixture
async def client() -> AsyncIterator[ErpHttpClient]:
    erp = ErpHttpClient(URL, basic=("RFC_GXP", "s3cret"), timeout=1.0)
    yield erp
    await erp.close()


@respx.mock
async def test_basic_auth_and_the_change_feed(client: ErpHttpClient) -> None:
    route = respx.get(f"{URL}/changes", params={"after": "4", "limit": "2"}).respond(
        json={"value": [{"seq": 5, "type": "lot_created"}], "next_cursor": 5})
    assert await client.changes(4, 2) == ([{"seq": 5, "type": "lot_created"}], 5)
    sent = route.calls.last.request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"RFC_GXP:s3cret").decode()


@respx.mock
async def test_a_bearer_token_is_sent_as_such() -> None:
    route = respx.get(f"{URL}/lots/A%2FB").respond(json={"id": "A/B", "version": 1})
    erp = ErpHttpClient(URL, token="tok-1")
    assert (await erp.lot("A/B")) == {"id": "A/B", "version": 1}
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-1"
    await erp.close()


@respx.mock
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_overload_and_server_errors_are_retryable(client: ErpHttpClient, status: int) -> None:
    respx.get(f"{URL}/changes").respond(status, json={"detail": "injected fault", "status": status})
    with pytest.raises(RetryableError, match=f"{status}.*injected fault"):
        await client.changes(0, 10)


@respx.mock
async def test_a_cut_off_body_is_retried_on_reads_and_kept_as_unknown_on_writes(client: ErpHttpClient) -> None:
    respx.get(f"{URL}/audit").respond(200, content=b'{"value": [{"seq": 1, "at"')
    with pytest.raises(RetryableError, match="not complete JSON"):
        await client.audit(0, 10)
    respx.post(f"{URL}/inventory-transactions").respond(201, content=b'{"id": "49')
    reply = await client.post_inventory_transaction({"movement_type": "101"})
    assert reply.ok and reply.body is None


@respx.mock
async def test_connection_faults_are_classified_by_whether_the_request_arrived(client: ErpHttpClient) -> None:
    respx.get(f"{URL}/lots/X").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(RetryableError, match="unreachable") as refused:
        await client.lot("X")
    assert not isinstance(refused.value, OutcomeUnknown)
    respx.post(f"{URL}/production-orders").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown, match="may have been executed"):
        await client.post_production_order({"batch_id": "B"})
    respx.post(f"{URL}/inventory-transactions").respond(502)
    with pytest.raises(OutcomeUnknown, match="502"):
        await client.post_inventory_transaction({"movement_type": "101"})
    respx.get(f"{URL}/boms").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RetryableError):
        await client.boms()
    respx.get(f"{URL}/materials").mock(side_effect=httpx.ConnectError("refused"))
    assert not await client.probe()


@respx.mock
async def test_problems_are_returned_on_writes_and_refused_on_reads(client: ErpHttpClient) -> None:
    problem = {"status": 412, "code": "etag_mismatch", "detail": "changed by someone else"}
    route = respx.post(f"{URL}/lots/MED-1/usage-decisions").respond(412, json=problem, headers={"ETag": '"3"'})
    reply = await client.post_usage_decision("MED-1", {"decision": "accept"}, '"2"')
    assert (reply.status, reply.code, reply.etag) == (412, "etag_mismatch", '"3"')
    assert route.calls.last.request.headers["If-Match"] == '"2"'
    assert json.loads(route.calls.last.request.content) == {"decision": "accept"}
    respx.get(f"{URL}/production-orders/1").respond(404, json={"code": "unknown_order", "detail": "no"})
    assert await client.production_order("1") is None
    respx.get(f"{URL}/changes").respond(401, json={"code": "unauthorized", "detail": "send credentials"})
    with pytest.raises(PermanentError, match="401") as caught:
        await client.changes(0, 1)
    assert "s3cret" not in str(caught.value)


@respx.mock
async def test_collections_follow_next_links_and_quote_literals(client: ErpHttpClient) -> None:
    first = respx.get(f"{URL}/production-orders", params={"$filter": "batch_id eq 'O''Neil'"}).respond(
        json={"value": [{"id": "1"}], "@odata.nextLink": "/production-orders?$filter=x&$skip=1"})
    respx.get(f"{URL}/production-orders", params={"$skip": "1"}).respond(json={"value": [{"id": "2"}]})
    assert [o["id"] for o in await client.production_orders_for_batch("O'Neil")] == ["1", "2"]
    assert first.called
    respx.get(f"{URL}/boms").respond(json={"value": "not a list"})
    with pytest.raises(RetryableError, match="value"):
        await client.boms()


@respx.mock
async def test_a_next_link_to_another_host_is_not_followed_with_the_credentials(client: ErpHttpClient) -> None:
    respx.get(f"{URL}/boms").respond(json={"value": [{"id": "B1"}],
                                           "@odata.nextLink": "https://collector.example/boms?$skip=1"})
    elsewhere = respx.get("https://collector.example/boms").respond(json={"value": []})
    with pytest.raises(PermanentError, match="another host"):
        await client.boms()
    assert not elsewhere.called


@respx.mock
async def test_the_audit_of_one_lot_is_read_to_the_end(client: ErpHttpClient) -> None:
    respx.get(f"{URL}/audit", params={"after": "0"}).respond(json={"value": [{"seq": 3}], "next_after": 3})
    respx.get(f"{URL}/audit", params={"after": "3"}).respond(json={"value": [], "next_after": 3})
    assert await client.lot_changes("MED-1") == [{"seq": 3}]


@respx.mock
async def test_a_refusing_503_on_a_write_is_a_plain_retry(client: ErpHttpClient) -> None:
    respx.post(f"{URL}/production-orders").respond(503, json={"detail": "nothing was changed"})
    with pytest.raises(RetryableError) as caught:
        await client.post_production_order({"batch_id": "B"})
    assert not isinstance(caught.value, OutcomeUnknown)
