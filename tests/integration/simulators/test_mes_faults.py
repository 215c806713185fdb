"""Injected faults as an MES client sees them over the socket, restart persistence, and scenario actions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulators.common.runner import SimulatorSet

pytestmark = pytest.mark.integration


async def set_faults(admin_url: str, **faults: object) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.put(f"{admin_url}/sims/mes/faults", json=faults)
        response.raise_for_status()


async def action(admin_url: str, name: str, **params: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{admin_url}/sims/mes/actions/{name}", json=params)


def client_for(sim: Any, timeout: float = 10) -> httpx.AsyncClient:
    endpoints = sim.endpoints()
    auth = endpoints["mes_auth"]
    return httpx.AsyncClient(base_url=endpoints["mes"], auth=(auth["username"], auth["password"]), timeout=timeout)


async def test_latency_makes_impatient_clients_time_out(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    async with client_for(sim, timeout=0.2) as api:
        assert (await api.get("/lots")).status_code == 200
        await set_faults(admin, latency_ms=800)
        with pytest.raises(httpx.ReadTimeout):
            await api.get("/lots")
        await set_faults(admin, latency_ms=0)
        assert (await api.get("/lots")).status_code == 200


async def test_down_refuses_connections_and_comes_back_on_the_same_port(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    url = sim.url
    await set_faults(admin, down=True)
    async with client_for(sim) as api:
        with pytest.raises(httpx.ConnectError):
            await api.get("/batches")
        await set_faults(admin, down=False)
        assert sim.url == url and (await api.get("/batches")).status_code == 200


async def test_error_responses_are_503_problems_but_openapi_stays_up(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    await set_faults(admin, error_rate=1.0)
    async with client_for(sim) as api:
        failed = await api.post("/batches", json={"batch_id": "B-503"})
        assert failed.status_code == 503 and failed.headers["content-type"] == "application/problem+json"
        assert failed.json()["status"] == 503 and failed.headers["retry-after"] == "1"
        assert (await api.get("/openapi.json")).status_code == 200
        await set_faults(admin, error_rate=0.0)
        assert_absent = await api.get("/batches/B-503")
        assert assert_absent.status_code == 404  # an error answer changed nothing


async def test_malformed_answers_are_truncated_json_with_200(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    await set_faults(admin, malformed_rate=1.0)
    async with client_for(sim) as api:
        response = await api.get("/batches/CART-2025-0001")
        assert response.status_code == 200 and response.content.startswith(b"{")
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)
        assert (await api.get("/openapi.json")).json()["openapi"].startswith("3.")


async def test_duplicate_delivery_repeats_feed_records(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    async with client_for(sim) as api:
        clean = (await api.get("/events", params={"limit": 10})).json()
        await set_faults(admin, duplicate_rate=1.0)
        doubled = (await api.get("/events", params={"limit": 10})).json()
    seqs = [e["seq"] for e in doubled["events"]]
    assert len(seqs) == 20 and seqs[0] == seqs[1]
    assert sorted(set(seqs)) == [e["seq"] for e in clean["events"]] and doubled["next_cursor"] == clean["next_cursor"]


async def test_clock_skew_moves_the_mes_timestamps(start_sim: Any) -> None:
    sim, admin = await start_sim("mes")
    await set_faults(admin, clock_skew_seconds=7200)
    async with client_for(sim) as api:
        batch = (await api.post("/batches", json={"batch_id": "B-SKEW"})).json()
        event = (await api.get("/events", params={"after": 0, "limit": 1000})).json()["events"][-1]
    created = datetime.fromisoformat(batch["created_at"])
    assert created > datetime.now(UTC) + timedelta(minutes=90)
    assert event["type"] == "batch_created"
    assert abs(datetime.fromisoformat(event["at"]) - created) < timedelta(seconds=5)


async def test_scenario_actions_drive_a_batch(start_sim: Any) -> None:
    _, admin = await start_sim("mes")
    created = (await action(admin, "create_batch", batch_id="CART-DEMO-0001")).json()
    assert (created["state"], created["lot"], created["next_step"]) == ("created", "L-CART-DEMO-0001", "PH-0101")
    assert (await action(admin, "start_batch", batch_id="CART-DEMO-0001")).json()["state"] == "in_execution"
    advanced = (await action(admin, "advance_batch", batch_id="CART-DEMO-0001")).json()
    assert (advanced["advanced_step"], advanced["steps_completed"], advanced["next_step"]) == ("PH-0101", 1, "PH-0201")
    assert advanced["consumptions"] == [{"lot": "APH-CART-DEMO-0001", "material": "MAT-APH", "quantity": 200.0,
                                         "unit": "mL"}]
    done = (await action(admin, "complete_batch", batch_id="CART-DEMO-0001")).json()
    assert done["state"] == "completed" and done["steps_completed"] == 8 and len(done["samples"]) == 2
    assert {c for s in done["samples"] for c in s["test_codes"]} == {"VIAB", "CD3", "CARPOS", "VCN", "TNC", "ENDO",
                                                                       "STER", "MYCO"}
    assert (await action(admin, "batch", batch_id="CART-DEMO-0001")).json() == done
    refused = await action(admin, "start_batch", batch_id="CART-DEMO-0001")
    assert refused.status_code == 422 and "completed" in refused.text
    assert (await action(admin, "batch", batch_id="NOPE")).status_code == 422


async def test_restart_keeps_batches_feed_audit_and_credentials(tmp_path: Path) -> None:
    first = SimulatorSet(tmp_path, ("mes",))
    endpoints = await first.start()
    try:
        mes = first.simulators["mes"]
        async with client_for(mes) as api:
            await api.post("/batches", json={"batch_id": "B-KEEP"})
            await api.post("/batches/B-KEEP/transitions", json={"action": "release"})
            feed_before = (await api.get("/events", params={"limit": 1000})).json()
            audit_before = (await api.get("/audit", params={"limit": 1000})).json()
    finally:
        await first.stop()
    credentials = tmp_path / "sim" / "mes" / "api-credentials.json"
    assert credentials.stat().st_mode & 0o777 == 0o600
    second = SimulatorSet(tmp_path, ("mes",))
    again = await second.start()
    try:
        assert again["sim"]["mes_auth"] == endpoints["sim"]["mes_auth"]
        async with client_for(second.simulators["mes"]) as api:
            assert (await api.get("/batches/B-KEEP")).json()["state"] == "released"
            assert (await api.get("/events", params={"limit": 1000})).json() == feed_before
            assert (await api.get("/audit", params={"limit": 1000})).json() == audit_before
            await api.post("/batches/B-KEEP/transitions", json={"action": "start"})
            after = (await api.get("/events", params={"after": feed_before["next_cursor"]})).json()
            assert after["events"][0]["seq"] == feed_before["next_cursor"] + 1
            assert len((await api.get("/batches", params={"state": "completed"})).json()) == 1  # history seeded once
    finally:
        await second.stop()
