"""Every injected fault of the ERP simulator, seen by a plain HTTP client, and a restart that keeps state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulators.common.runner import SimulatorSet

pytestmark = pytest.mark.integration
Running = tuple[Any, str, httpx.AsyncClient]  # simulator, admin URL, authenticated client


async def set_faults(admin_url: str, **faults: object) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.put(f"{admin_url}/sims/erp/faults", json=faults)
        response.raise_for_status()


@pytest.fixture
async def erp(start_sim: Callable[..., Awaitable[tuple[Any, str]]]) -> AsyncIterator[Running]:
    sim, admin = await start_sim("erp")
    auth = sim.endpoints()["erp_auth"]
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": f"Bearer {auth['token']}"}) as client:
        yield sim, admin, client


async def test_latency_holds_every_answer_back(erp: Running) -> None:
    _, admin, client = erp
    await set_faults(admin, latency_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/lots", timeout=0.2)
    await set_faults(admin)
    assert (await client.get("/lots", timeout=5)).status_code == 200


async def test_down_refuses_connections_and_comes_back_on_the_same_port(erp: Running) -> None:
    sim, admin, client = erp
    url = sim.url
    await set_faults(admin, down=True)
    async with httpx.AsyncClient(headers=client.headers) as fresh:
        with pytest.raises(httpx.ConnectError):
            await fresh.get(f"{url}/lots")
        await set_faults(admin, down=False)
        assert sim.url == url
        assert (await fresh.get(f"{url}/lots/MED-24-331")).json()["status"] == "quarantine"


async def test_error_responses_are_problems_and_change_nothing(erp: Running) -> None:
    _, admin, client = erp
    await set_faults(admin, error_rate=1.0)
    answers = [await client.post("/lots/MED-24-331/usage-decisions", json={"decision": "accept", "reason": "x"},
                                 headers={"If-Match": '"1"'}) for _ in range(6)]
    assert {a.status_code for a in answers} <= {500, 503}
    assert all(a.headers["content-type"] == "application/problem+json" and a.json()["status"] == a.status_code
               for a in answers)
    assert (await client.get("/openapi.json")).status_code == 200  # discovery is never broken
    await set_faults(admin)
    assert (await client.get("/lots/MED-24-331")).json()["version"] == 1


async def test_malformed_output_is_truncated_json_with_200(erp: Running) -> None:
    _, admin, client = erp
    await set_faults(admin, malformed_rate=1.0)
    answer = await client.get("/lots")
    assert answer.status_code == 200 and answer.headers["content-length"] == str(len(answer.content))
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.")
    await set_faults(admin)
    assert len((await client.get("/lots")).json()["value"]) == 7


async def test_duplicate_delivery_repeats_change_records(erp: Running) -> None:
    _, admin, client = erp
    await set_faults(admin, duplicate_rate=1.0)
    page = (await client.get("/changes", params={"after": 0, "limit": 3})).json()
    assert [c["seq"] for c in page["value"]] == [1, 1, 2, 2, 3, 3] and page["next_cursor"] == 3
    assert page["value"][0] == page["value"][1]


async def test_clock_skew_moves_the_erp_timestamps(erp: Running) -> None:
    sim, admin, client = erp
    await set_faults(admin, clock_skew_seconds=86_400)
    lot = (await client.get("/lots/MED-24-331")).json()
    decided = await client.post("/lots/MED-24-331/usage-decisions", json={"decision": "accept", "reason": "ok"},
                                headers={"If-Match": lot["@odata.etag"]})
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    stamps = [decided.json()["usage_decision"]["decided_at"], decided.json()["lot"]["changed_at"],
              (await client.get("/changes", params={"after": 7})).json()["value"][-1]["at"],
              sim.ctx.audit.since(0)[-1].at]
    assert all(abs((datetime.fromisoformat(s) - tomorrow).total_seconds()) < 120 for s in stamps)


async def test_restart_keeps_lots_versions_feed_audit_and_credentials(tmp_path: Path) -> None:
    async def run(step: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> tuple[Any, dict[str, Any]]:
        sims = SimulatorSet(tmp_path, ("erp",))
        endpoints = (await sims.start())["sim"]
        try:
            auth = endpoints["erp_auth"]
            async with httpx.AsyncClient(base_url=endpoints["erp"], auth=(auth["username"], auth["password"])) as c:
                return await step(c), auth
        finally:
            await sims.stop()

    async def decide(client: httpx.AsyncClient) -> Any:
        etag = (await client.get("/lots/MED-24-331")).headers["ETag"]
        await client.post("/lots/MED-24-331/usage-decisions", json={"decision": "block", "reason": "DEV-9"},
                          headers={"If-Match": etag})
        return (await client.get("/changes")).json()["next_cursor"]

    async def look(client: httpx.AsyncClient) -> Any:
        lot = await client.get("/lots/MED-24-331")
        etag = lot.headers["ETag"]
        await client.post("/lots/MED-24-331/usage-decisions", json={"decision": "accept", "reason": "closed"},
                          headers={"If-Match": etag})
        changes = (await client.get("/changes", params={"after": 0, "limit": 1000})).json()["value"]
        audit = (await client.get("/audit", params={"record_id": "MED-24-331"})).json()["value"]
        return lot.json(), changes, audit

    cursor, first_auth = await run(decide)
    (lot, changes, audit), second_auth = await run(look)
    assert (lot["status"], lot["version"]) == ("blocked", 2) and second_auth == first_auth
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1)) and len(changes) > cursor
    assert [(e["old"], e["new"]) for e in audit if e["field"] == "status"] == [
        (None, "quarantine"), ("quarantine", "blocked"), ("blocked", "released")]
