"""The ERP simulator over real HTTP: batch lifecycle with ETags, OData querying, problems, feed, audit, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from simulators import reference
from simulators.erp.lots import create_lot

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


class Erp:
    def __init__(self, sim: Any, admin: str, client: httpx.AsyncClient) -> None:
        self.sim, self.admin, self.client = sim, admin, client

    async def action(self, name: str, **params: Any) -> Any:
        async with httpx.AsyncClient() as admin:
            response = await admin.post(f"{self.admin}/sims/erp/actions/{name}", json=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def erp(start_sim: Callable[..., Awaitable[tuple[Any, str]]]) -> AsyncIterator[Erp]:
    sim, admin = await start_sim("erp")
    endpoints = sim.endpoints()
    auth = endpoints["erp_auth"]
    async with httpx.AsyncClient(base_url=endpoints["erp"], auth=(auth["username"], auth["password"])) as client:
        yield Erp(sim, admin, client)


def is_problem(response: httpx.Response, status: int, code: str | None = None) -> bool:
    body = response.json()
    return (response.status_code == status and response.headers["content-type"].startswith(PROBLEM)
            and body["status"] == status and bool(body["title"]) and bool(body["detail"])
            and (code is None or body["code"] == code))


async def test_lot_goes_from_quarantine_to_released_with_if_match(erp: Erp) -> None:
    lot_id = reference.lot_for_batch("B-1001")
    created = await erp.action("create_lot", lot_id=lot_id, material="MAT-CART", quantity=140, unit="mL")
    assert created["status"] == "quarantine" and created["created"] is True
    read = await erp.client.get(f"/lots/{lot_id}")
    assert read.json()["status"] == "quarantine" and read.headers["ETag"] == read.json()["@odata.etag"] == '"1"'
    decision = {"decision": "accept", "reason": "QC release panel within specification", "user": "qa.mlee",
                "esignature_ref": "ESIG-42"}

    missing = await erp.client.post(f"/lots/{lot_id}/usage-decisions", json=decision)
    assert is_problem(missing, 428, "if_match_required") and missing.headers["ETag"] == '"1"'
    stale = await erp.client.post(f"/lots/{lot_id}/usage-decisions", json=decision, headers={"If-Match": '"0"'})
    assert is_problem(stale, 412, "etag_mismatch") and stale.json()["current_etag"] == '"1"'

    posted = await erp.client.post(f"/lots/{lot_id}/usage-decisions", json=decision,
                                   headers={"If-Match": read.headers["ETag"]})
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert (body["usage_decision"]["code"], body["usage_decision"]["user"]) == ("A", "qa.mlee")
    assert body["lot"]["status"] == "released" and posted.headers["ETag"] == '"2"'
    assert posted.headers["Location"] == f"/usage-decisions/{body['usage_decision']['id']}"
    again = await erp.client.post(f"/lots/{lot_id}/usage-decisions", json=decision,
                                  headers={"If-Match": read.headers["ETag"]})
    assert is_problem(again, 412)
    assert (await erp.client.get(f"/lots/{lot_id}")).json()["stock_type"] == "unrestricted"
    history = (await erp.client.get(f"/lots/{lot_id}/usage-decisions")).json()["value"]
    assert [(ud["decision"], ud["esignature_ref"]) for ud in history] == [("accept", "ESIG-42")]


async def test_business_rules_answer_409_and_422_problems(erp: Erp) -> None:
    etag = (await erp.client.get("/lots/MED-24-331")).headers["ETag"]
    rejected = await erp.client.patch("/lots/MED-24-331", json={"status": "rejected", "reason": "OOS"},
                                      headers={"If-Match": etag})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    release = await erp.client.post("/lots/MED-24-331/usage-decisions", json={"decision": "accept", "reason": "x"},
                                    headers={"If-Match": rejected.headers["ETag"]})
    assert is_problem(release, 409, "lot_rejected")
    order = (await erp.action("create_production_order", batch_id="B-2002"))["id"]
    movement = {"movement_type": "261", "material": "MAT-MED", "lot": "MED-24-331", "quantity": 1, "unit": "L",
                "production_order": order}
    assert is_problem(await erp.client.post("/inventory-transactions", json=movement), 409, "lot_not_released")
    unknown = {**movement, "material": "MAT-XYZ"}
    assert is_problem(await erp.client.post("/inventory-transactions", json=unknown), 422, "unknown_material")
    negative = {**movement, "quantity": -3}
    assert is_problem(await erp.client.post("/inventory-transactions", json=negative), 422, "invalid_body")
    below = {"movement_type": "702", "material": "MAT-LVV", "lot": "LVV-24-017", "quantity": 41, "unit": "mL",
             "reason": "cycle count"}
    assert is_problem(await erp.client.post("/inventory-transactions", json=below), 409, "quantity_below_zero")
    issue = {**movement, "material": "MAT-LVV", "lot": "LVV-24-017", "quantity": 2, "unit": "mL"}
    posted = await erp.client.post("/inventory-transactions", json=issue)
    assert posted.status_code == 201 and posted.json()["movement_type"] == "261"
    assert (await erp.client.get("/lots/LVV-24-017")).json()["quantity"] == 38.0


async def test_malformed_requests_get_problems_not_crashes(erp: Erp) -> None:
    broken = await erp.client.post("/lots", content=b"{not json", headers={"content-type": "application/json"})
    assert is_problem(broken, 422)
    assert is_problem(await erp.client.post("/lots", json={"id": "X", "extra": 1}), 422, "invalid_body")
    assert is_problem(await erp.client.get("/lots/NOPE-1"), 404, "unknown_lot")
    assert is_problem(await erp.client.get("/nowhere"), 404)
    assert is_problem(await erp.client.delete("/lots/LVV-24-017"), 405)
    assert is_problem(await erp.client.get("/lots", params={"$top": "-1"}), 400, "invalid_request")
    long_match = await erp.client.patch("/lots/LVV-24-017", json={"status": "blocked", "reason": "x"},
                                        headers={"If-Match": "x" * 500})
    assert is_problem(long_match, 400)


async def test_filter_orderby_count_and_paging(erp: Erp) -> None:
    response = await erp.client.get("/lots", params={"$filter": "status eq 'quarantine' and material eq 'MAT-MED'"})
    assert [lot["id"] for lot in response.json()["value"]] == ["MED-24-331"]
    page = (await erp.client.get("/lots", params={"$filter": "status eq 'released' and quantity gt 50",
                                                  "$orderby": "quantity desc", "$top": 2, "$skip": 1,
                                                  "$count": "true"})).json()
    assert page["@odata.count"] == 5 and [lot["id"] for lot in page["value"]] == ["BAG-24-900", "TXA-24-102"]
    assert "@odata.nextLink" not in page
    dated = (await erp.client.get("/lots", params={"$filter": "expiry lt 2027-03-01 and expiry ge 2027-02-01"})).json()
    assert {lot["id"] for lot in dated["value"]} == {"BEAD-24-044", "MED-24-331"}

    for n in range(130):  # server-driven paging needs more rows than one page
        create_lot(erp.sim.store, f"P-{n:03d}", "MAT-BAG", 1, "{each}", "setup")
    seen: list[str] = []
    url: str | None = "/lots?$filter=startswith(id, 'P-')&$orderby=id"
    while url:
        body = (await erp.client.get(url)).json()
        seen += [lot["id"] for lot in body["value"]]
        url = body.get("@odata.nextLink")
    assert seen == [f"P-{n:03d}" for n in range(130)]
    capped = (await erp.client.get("/lots", params={"$filter": "startswith(id, 'P-')", "$top": 120})).json()
    assert len(capped["value"]) == 100 and "$top=20" in capped["@odata.nextLink"]


@pytest.mark.parametrize("expression", ["status eq", "status eq 'x' and", "colour eq 'red'", "quantity gt 'many'",
                                        "status $$ 'x'", "(status eq 'a'"])
async def test_unparsable_filter_is_a_400_problem(erp: Erp, expression: str) -> None:
    assert is_problem(await erp.client.get("/lots", params={"$filter": expression}), 400, "invalid_query_option")


async def test_change_feed_reads_on_from_a_cursor(erp: Erp) -> None:
    first = (await erp.client.get("/changes", params={"after": 0, "limit": 3})).json()
    assert [c["seq"] for c in first["value"]] == [1, 2, 3] and first["next_cursor"] == 3
    rest = (await erp.client.get("/changes", params={"after": first["next_cursor"]})).json()
    cursor = rest["next_cursor"]
    assert cursor == len(reference.LOTS) and all(c["type"] == "lot_created" for c in rest["value"])
    assert (await erp.client.get("/changes", params={"after": cursor})).json() == {"value": [], "next_cursor": cursor}

    await erp.action("create_production_order", batch_id="B-3003")
    await erp.action("usage_decision", lot_id="MED-24-331", decision="accept", reason="ok", user="qa.mlee")
    news = (await erp.client.get("/changes", params={"after": cursor})).json()
    assert [c["type"] for c in news["value"]] == [
        "production_order_created", "production_order_status_changed", "usage_decision_posted",
        "lot_status_changed", "inventory_transaction_posted"]
    status_change = news["value"][3]
    assert status_change["changes"] == {"status": {"old": "quarantine", "new": "released"}}
    assert status_change["user"] == "qa.mlee" and status_change["data"]["version"] == 2
    assert news["next_cursor"] == cursor + 5


async def test_audit_trail_has_who_when_what_old_new_and_why(erp: Erp) -> None:
    await erp.action("usage_decision", lot_id="MED-24-331", decision="block", reason="DEV-7 open", user="qa.mlee")
    audit = (await erp.client.get("/audit", params={"record_type": "lot", "record_id": "MED-24-331"})).json()
    created, changed = audit["value"][0], audit["value"][-1]
    assert (created["user"], created["action"]) == ("DDIC", "lot_created")
    assert {k: changed[k] for k in ("user", "action", "field", "old", "new", "reason")} == {
        "user": "qa.mlee", "action": "lot_status_changed", "field": "status", "old": "quarantine", "new": "blocked",
        "reason": "DEV-7 open"}
    everything = (await erp.client.get("/audit", params={"after": audit["next_after"] - 1})).json()
    assert everything["value"][0]["seq"] == audit["next_after"] and everything["value"][0]["at"]
    assert len(erp.sim.ctx.audit.since(0)) == everything["next_after"]


async def test_auth_is_required_except_for_the_openapi_document(erp: Erp) -> None:
    base, auth = str(erp.client.base_url), erp.sim.endpoints()["erp_auth"]
    async with httpx.AsyncClient(base_url=base) as anonymous:
        denied = await anonymous.get("/lots")
        assert is_problem(denied, 401, "unauthorized") and "Basic" in denied.headers["WWW-Authenticate"]
        assert is_problem(await anonymous.get("/lots", auth=(auth["username"], "guess")), 401)
        bearer = await anonymous.get("/materials", headers={"Authorization": f"Bearer {auth['token']}"})
        assert bearer.status_code == 200 and len(bearer.json()["value"]) == len(reference.MATERIALS)
        doc = (await anonymous.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.") and "servers" not in doc
    assert set(doc["components"]["securitySchemes"]) == {"basicAuth", "bearerAuth"}
    assert doc["security"] == [{"basicAuth": []}, {"bearerAuth": []}]
    assert "application/problem+json" in doc["paths"]["/lots/{lot_id}"]["patch"]["responses"]["412"]["content"]
    assert auth["username"] not in str(doc) and auth["password"] not in str(doc)


async def test_scenario_actions_drive_a_batch_to_release(erp: Erp) -> None:
    order = await erp.action("create_production_order", batch_id="B-4004")
    assert (order["status"], order["lot"], order["material"]) == ("released", "L-B-4004", "MAT-CART")
    assert (await erp.action("create_production_order", batch_id="B-4004"))["created"] is False
    receipt = await erp.action("post_goods_receipt", lot_id="L-B-4004", quantity=140, unit="mL",
                               production_order=order["id"])
    assert (receipt["movement_type"], receipt["production_order"]) == ("101", order["id"])
    lot = await erp.action("lot", lot_id="L-B-4004")
    assert (lot["status"], lot["etag"], lot["production_order"]) == ("quarantine", '"1"', order["id"])
    result = await erp.action("usage_decision", lot_id="L-B-4004", decision="accept", reason="ok", user="qa.mlee")
    assert result["lot"]["status"] == "released" and result["lot"]["etag"] == '"2"'
    confirmed = await erp.action("production_order_status", batch_id="B-4004", status="confirmed")
    assert confirmed["status"] == "confirmed"
    async with httpx.AsyncClient() as admin:
        refused = await admin.post(f"{erp.admin}/sims/erp/actions/usage_decision",
                                   json={"lot_id": "L-B-4004", "decision": "accept", "reason": "again"})
    assert refused.status_code == 422 and "status_unchanged" in refused.text
