"""The MES REST API over a real socket with an independent HTTP client (httpx): auth, batch lifecycle,
problem documents, change feed, audit trail and the BatchML export checked against MESA's V0700 XSD.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from tests.support.corpora import corpus

pytestmark = pytest.mark.integration

def xsd() -> Path:
    return corpus("mesa-b2mml-batchml/Schema-V0700/BatchML-BatchProductionRecord.xsd")
PROBLEM = "application/problem+json"


@pytest.fixture
async def api(start_sim: Any) -> AsyncIterator[httpx.AsyncClient]:
    sim, _ = await start_sim("mes")
    endpoints = sim.endpoints()
    auth = endpoints["mes_auth"]
    async with httpx.AsyncClient(base_url=endpoints["mes"], auth=(auth["username"], auth["password"]),
                                 timeout=10) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if slug:
        assert body["type"] == f"urn:mes:problem:{slug}"
    return body


async def test_openapi_is_public_and_everything_else_needs_basic_auth(api: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(api.base_url)) as anonymous:
        doc = (await anonymous.get("/openapi.json")).json()
        assert doc["openapi"].startswith("3.")
        assert {"type": "http", "scheme": "basic"}.items() <= doc["components"]["securitySchemes"]["HTTPBasic"].items()
        assert doc["paths"]["/batches"]["get"]["security"] == [{"HTTPBasic": []}]
        refused = await anonymous.get("/batches")
        assert_problem(refused, 401, "unauthorized")
        assert refused.headers["www-authenticate"].startswith("Basic")
        assert_problem(await anonymous.get("/events", auth=("svc-integration", "wrong")), 401)
    assert (await api.get("/batches")).status_code == 200


async def _run_step(api: httpx.AsyncClient, batch_id: str, step: dict[str, Any]) -> None:
    base = f"/batches/{batch_id}/steps/{step['step_id']}"
    assert (await api.post(f"{base}/start", json={"user": "jdoe"})).json()["state"] == "in_progress"
    for p in step["parameters"]:
        body = {"name": p["name"], "value": p["sp"], "unit": p["unit"], "user": "jdoe"}
        assert (await api.post(f"{base}/parameters", json=body)).status_code == 200
    for need in step["planned_materials"]:
        lots = (await api.get("/lots", params={"material": need["material"], "status": "released"})).json()
        lot = next(lot for lot in lots if lot["remaining"] >= need["quantity"]
                   and lot.get("batch_id") in (None, batch_id))
        body = {"lot": lot["id"], "material": need["material"], "quantity": need["quantity"], "unit": need["unit"],
                "step_id": step["step_id"], "user": "jdoe"}
        assert (await api.post(f"/batches/{batch_id}/consumptions", json=body)).status_code == 201
    for plan in step["planned_samples"]:
        body = {"type": plan["type"], "test_codes": plan["test_codes"], "step_id": step["step_id"], "pulled_by": "jdoe"}
        assert (await api.post(f"/batches/{batch_id}/samples", json=body)).status_code == 201
    assert (await api.post(f"{base}/complete", json={"user": "jdoe"})).json()["state"] == "completed"
    signed = await api.post(f"{base}/signoffs", json={"user": "jdoe", "meaning": "performed"})
    assert signed.status_code == 201 and len(signed.json()["record_hash"]) == 64
    if step["critical"]:
        assert_problem(await api.post(f"{base}/signoffs", json={"user": "jdoe", "meaning": "verified"}), 409,
                       "second-person-required")
        assert (await api.post(f"{base}/signoffs", json={"user": "asmith", "meaning": "verified"})).status_code == 201


async def test_full_batch_lifecycle(api: httpx.AsyncClient) -> None:
    created = await api.post("/batches", json={"batch_id": "CART-2026-0100", "user": "sup.kchen"})
    assert created.status_code == 201 and created.headers["location"] == "/batches/CART-2026-0100"
    batch = created.json()
    assert (batch["state"], batch["lot"], batch["master_batch_record_id"]) == ("created", "L-CART-2026-0100",
                                                                             "MR-CART19")
    for action in ("release", "start"):
        assert (await api.post("/batches/CART-2026-0100/transitions", json={"action": action})).status_code == 200
    steps = (await api.get("/batches/CART-2026-0100/steps")).json()
    for step in steps[:4]:
        await _run_step(api, "CART-2026-0100", step)
    held = await api.post("/batches/CART-2026-0100/transitions",
                          json={"action": "hold", "reason": "DO excursion under investigation", "user": "sup.kchen"})
    assert held.json()["state"] == "on_hold" and held.json()["hold_reason"] == "DO excursion under investigation"
    assert_problem(await api.post(f"/batches/CART-2026-0100/steps/{steps[4]['step_id']}/start", json={}), 409,
                   "batch-not-in-execution")
    ref = {"system": "QMS", "type": "deviation", "reference": "DEV-2026-0042", "description": "DO excursion"}
    assert (await api.post("/batches/CART-2026-0100/external-references", json=ref)).status_code == 201
    await api.post("/batches/CART-2026-0100/transitions", json={"action": "resume", "reason": "impact assessed"})
    for step in steps[4:]:
        await _run_step(api, "CART-2026-0100", step)
    summary = {"lims_reference": "LIMS-ORD-0100", "results": [
        {"test_code": "VIAB", "value": 90.5, "unit": "%", "conforms": True},
        {"test_code": "STER", "text": "No growth", "conforms": True}]}
    assert (await api.post("/batches/CART-2026-0100/qc-summaries", json=summary)).json()["all_conform"] is True
    done = await api.post("/batches/CART-2026-0100/transitions", json={"action": "complete", "user": "sup.kchen"})
    assert done.status_code == 200, done.text
    final = (await api.get("/batches/CART-2026-0100")).json()
    assert final["state"] == "completed" and final["ended_at"]
    assert len(final["consumptions"]) == 7 and len(final["samples"]) == 2
    assert [r["reference"] for r in final["external_references"]] == ["DEV-2026-0042"]
    review = await api.post(f"/batches/CART-2026-0100/steps/{steps[0]['step_id']}/signoffs",
                            json={"user": "qa.mlee", "meaning": "reviewed"})
    assert review.status_code == 201


async def test_errors_are_problem_documents(api: httpx.AsyncClient) -> None:
    await api.post("/batches", json={"batch_id": "B-ERR"})
    body = assert_problem(await api.post("/batches/B-ERR/transitions", json={"action": "start"}), 409,
                          "invalid-transition")
    assert body["state"] == "created"
    assert_problem(await api.post("/batches", json={"batch_id": "B-ERR"}), 409, "batch-exists")
    assert_problem(await api.get("/batches/NOPE"), 404, "batch-not-found")
    assert_problem(await api.get("/no/such/path"), 404)
    invalid = assert_problem(await api.post("/batches", json={"batch_id": "bad id!", "surprise": 1}), 422,
                             "validation-error")
    assert {tuple(e["loc"]) for e in invalid["errors"]} >= {("body", "batch_id"), ("body", "surprise")}
    assert_problem(await api.post("/batches", content=b"{not json", headers={"content-type": "application/json"}),
                   422)
    assert_problem(await api.post("/batches", json={"reason": "\x00"}), 422)
    assert_problem(await api.delete("/batches"), 405)
    await api.post("/batches/B-ERR/transitions", json={"action": "release"})
    await api.post("/batches/B-ERR/transitions", json={"action": "start"})
    quarantined = {"lot": "MED-24-331", "material": "MAT-MED", "quantity": 1, "unit": "L"}
    assert_problem(await api.post("/batches/B-ERR/consumptions", json=quarantined), 409, "lot-not-released")
    assert_problem(await api.post("/batches/B-ERR/transitions", json={"action": "hold"}), 422, "reason-required")


async def test_change_feed_is_ordered_and_resumable(api: httpx.AsyncClient) -> None:
    seen: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = (await api.get("/events", params={"after": cursor, "limit": 7})).json()
        seen += page["events"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    seqs = [e["seq"] for e in seen]
    assert seqs == list(range(1, len(seqs) + 1)) and cursor == seqs[-1]
    assert {"batch_created", "batch_state_changed", "step_completed", "material_consumed", "sample_pulled",
            "step_signed_off", "qc_summary_recorded", "external_reference_attached"} <= {e["type"] for e in seen}
    assert all(e["at"] and e["user"] and e["record_id"] for e in seen)
    assert (await api.get("/events", params={"after": cursor})).json() == {"events": [], "next_cursor": cursor,
                                                                           "has_more": False}
    await api.post("/batches", json={"batch_id": "B-FEED"})
    await api.post("/batches/B-FEED/transitions", json={"action": "release", "user": "sup.kchen"})
    new = (await api.get("/events", params={"after": cursor})).json()
    assert [(e["seq"], e["type"]) for e in new["events"]] == [(cursor + 1, "batch_created"),
                                                              (cursor + 2, "batch_state_changed")]
    assert new["events"][1]["data"] == {"previous_state": "created", "state": "released", "action": "release",
                                        "reason": None}
    assert new["events"][1]["user"] == "sup.kchen" and new["next_cursor"] == cursor + 2


async def test_audit_trail_records_who_what_old_new_and_why(api: httpx.AsyncClient) -> None:
    start = (await api.get("/audit", params={"after": 10**9})).json()["next_cursor"]
    await api.patch("/lots/MED-24-331", json={"status": "released", "reason": "QC release", "user": "qa.mlee"})
    entries = (await api.get("/audit", params={"after": start})).json()["entries"]
    assert [(e["user"], e["record_id"], e["field"], e["old"], e["new"], e["reason"]) for e in entries] == [
        ("qa.mlee", "MED-24-331", "status", "quarantine", "released", "QC release")]
    assert entries[0]["seq"] == start + 1 and entries[0]["at"]


async def test_batchml_export_validates_against_the_v0700_schema(api: httpx.AsyncClient) -> None:
    response = await api.get("/batches/CART-2025-0001/batchml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    schema = etree.XMLSchema(etree.parse(str(xsd())))
    doc = etree.fromstring(response.content)
    assert schema.validate(doc), schema.error_log
    assert doc.tag == "{http://www.mesa.org/xml/B2MML}BatchProductionRecord"
    assert_problem(await api.get("/batches/NOPE/batchml"), 404)
