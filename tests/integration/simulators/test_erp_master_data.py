"""POST /materials and POST /boms over real HTTP: authenticated, created once, refused as problems, documented."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
MATERIAL = {"id": "MAT-IL2", "name": "Interleukin-2, recombinant", "material_class": "raw_material",
            "base_unit": "mL", "reason": "tech transfer TT-2026-0003"}


@pytest.fixture
async def erp(start_sim: Callable[..., Awaitable[tuple[Any, str]]]) -> AsyncIterator[httpx.AsyncClient]:
    sim, _ = await start_sim("erp")
    endpoints = sim.endpoints()
    auth = endpoints["erp_auth"]
    async with httpx.AsyncClient(base_url=endpoints["erp"], auth=(auth["username"], auth["password"])) as client:
        yield client


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body


async def test_writes_need_credentials(erp: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(erp.base_url)) as anonymous:
        problem(await anonymous.post("/materials", json=MATERIAL), 401, "unauthorized")
        problem(await anonymous.post("/boms", json={}), 401, "unauthorized")


async def test_a_material_and_its_product_bom_are_created_once_and_documented(erp: httpx.AsyncClient) -> None:
    created = await erp.post("/materials", json=MATERIAL)
    assert created.status_code == 201 and created.headers["location"] == "/materials/MAT-IL2"
    assert created.json()["material_type"] == "ROH"
    assert (await erp.get("/materials/MAT-IL2")).json() == created.json()
    problem(await erp.post("/materials", json=MATERIAL), 409, "material_exists")
    product = {**MATERIAL, "id": "MAT-X19", "name": "X19 drug product", "material_class": "final_product"}
    assert (await erp.post("/materials", json=product)).status_code == 201
    body = {"material": "MAT-X19", "base_quantity": 140.0, "reason": "tech transfer TT-2026-0003",
            "items": [{"material": "MAT-IL2", "quantity": 2.0, "unit": "mL"}]}
    bom = await erp.post("/boms", json=body)
    assert bom.status_code == 201 and bom.headers["etag"] == '"1"' and bom.json()["id"] == "BOM-MAT-X19"
    problem(await erp.post("/boms", json=body), 409, "bom_exists")
    problem(await erp.post("/boms", json={**body, "id": "BOM-X19-ALT"}), 409, "active_bom_exists")
    changes = (await erp.get("/changes", params={"after": 0, "limit": 1000})).json()["value"]
    assert [c["type"] for c in changes][-3:] == ["material_created", "material_created", "bom_created"]
    audit = (await erp.get("/audit", params={"record_type": "material", "record_id": "MAT-IL2"})).json()["value"]
    assert {(e["action"], e["field"], e["new"], e["reason"]) for e in audit} == {
        ("material_created", "name", "Interleukin-2, recombinant", "tech transfer TT-2026-0003"),
        ("material_created", "material_type", "ROH", "tech transfer TT-2026-0003"),
        ("material_created", "base_unit", "mL", "tech transfer TT-2026-0003")}
    assert audit[0]["user"].startswith("RFC_")


async def test_invalid_master_data_is_a_problem_and_changes_nothing(erp: httpx.AsyncClient) -> None:
    problem(await erp.post("/materials", json={**MATERIAL, "material_class": "gadget"}), 422, "invalid_body")
    problem(await erp.post("/materials", json={**MATERIAL, "base_unit": "furlong"}), 422, "unknown_unit")
    body = {"material": "MAT-CART", "base_quantity": 140.0, "reason": "r", "id": "BOM-NEW",
            "items": [{"material": "MAT-NOPE", "quantity": 1.0, "unit": "mL"}]}
    problem(await erp.post("/boms", json={**body, "material": "MAT-NOPE"}), 422, "unknown_material")
    problem(await erp.post("/boms", json={**body, "items": []}), 422, "invalid_body")
    assert (await erp.get("/materials/MAT-IL2")).status_code == 404
