"""POST /master-batch-records over a real socket: created, repeated, versioned, refused with problems, audited."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
BODY: dict[str, Any] = {
    "id": "MR-CART19", "product": "CART-19", "recipe_version": 7, "reason": "tech transfer TT-2026-0003",
    "equipment_binding": {"bioreactor": "BR-101"},
    "unit_procedures": [{"name": "Expansion", "equipment_class": "bioreactor", "operations": [
        {"name": "Expansion", "phases": [{"name": "Expand", "parameters": [
            {"name": "Temperature", "unit": "Cel", "sp": 37.0, "lo": 36.0, "hi": 38.0, "class": "CPP"}]}]}]}],
}


@pytest.fixture
async def api(start_sim: Any) -> AsyncIterator[httpx.AsyncClient]:
    sim, _ = await start_sim("mes")
    endpoints = sim.endpoints()
    auth = endpoints["mes_auth"]
    async with httpx.AsyncClient(base_url=endpoints["mes"], auth=(auth["username"], auth["password"]),
                                 timeout=10) as client:
        yield client


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = response.json()
    assert doc["type"] == f"urn:mes:problem:{slug}" and doc["status"] == status and doc["detail"]
    return doc


async def test_a_new_version_is_created_once_and_audited(api: httpx.AsyncClient) -> None:
    created = await api.post("/master-batch-records", json=BODY)
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["version"], record["status"], record["recipe_version"]) == (4, "approved", 7)
    assert created.headers["location"] == "/master-batch-records/MR-CART19/versions/4"
    assert record["steps"][0]["equipment_id"] == "BR-101" and record["steps"][0]["operation"] == "Expansion"
    again = await api.post("/master-batch-records", json=BODY)
    assert again.status_code == 200 and again.json() == record
    versions = (await api.get("/master-batch-records/MR-CART19/versions")).json()
    assert [(v["version"], v["status"]) for v in versions] == [(3, "superseded"), (4, "approved")]
    assert (await api.get("/master-batch-records/MR-CART19")).json()["version"] == 4
    entries = (await api.get("/audit", params={"after": 0, "limit": 1000})).json()["entries"]
    mine = [e for e in entries if e["record_type"] == "master_batch_record"]
    assert [(e["action"], e["field"], e["old"], e["new"]) for e in mine] == [
        ("supersede", "status", "approved", "superseded"), ("create", "version", 3, 4), ("create", "steps", None, 1)]
    assert mine[1]["user"] == "svc-integration" and mine[1]["reason"] == "tech transfer TT-2026-0003"
    batch = await api.post("/batches", json={"batch_id": "CART-2026-0900"})
    assert batch.status_code == 201 and batch.json()["master_batch_record_version"] == 4


async def test_refusals_are_problems_and_change_nothing(api: httpx.AsyncClient) -> None:
    problem(await api.post("/master-batch-records", json={**BODY, "unit_procedures": []}), 422, "validation-error")
    unbound = {**BODY, "equipment_binding": {"freezer": "CRF-101"}}
    problem(await api.post("/master-batch-records", json=unbound), 422, "equipment-class-not-bound")
    wrong = {**BODY, "equipment_binding": {"bioreactor": "CRF-101"}}
    assert "is a freezer" in problem(await api.post("/master-batch-records", json=wrong), 422,
                                     "equipment-class-mismatch")["detail"]
    assert (await api.post("/master-batch-records", json=BODY)).status_code == 201
    changed = copy.deepcopy(BODY)
    changed["unit_procedures"][0]["name"] = "Expansion (perfusion)"
    problem(await api.post("/master-batch-records", json=changed), 409, "recipe-version-conflict")
    problem(await api.post("/master-batch-records", json={**changed, "recipe_version": 6}), 409,
            "recipe-version-superseded")
    assert (await api.get("/master-batch-records/MR-CART19")).json()["version"] == 4
    problem(await api.get("/master-batch-records/MR-CART19/versions/9"), 404, "master-batch-record-not-found")
