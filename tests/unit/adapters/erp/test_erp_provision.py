"""ProvisionMaterials against the in-memory ERP and a mocked one: read first, create once, change a BOM by ECN."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from adapters.erp.api import OutcomeUnknown, Record, Reply
from adapters.erp.client import ErpHttpClient
from adapters.erp.commands import command_handlers
from adapters.erp.fake import FakeErp
from adapters.erp.problems import ErpRefused
from adapters.framework.commands import Outcome
from canonical_model.commands.erp import ProvisionMaterials
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from messaging.errors import RetryableError

pytestmark = pytest.mark.unit
URL = "http://erp.test"
MATERIALS = [{"material_id": "MAT-IL2", "name": "Interleukin-2", "material_class": "raw", "unit": "mL"},
             {"material_id": "MAT-LVV", "name": "Sponsor's vector name", "material_class": "raw", "unit": "mL"}]
BOM = {"bom_id": "BOM-MAT-CART", "product": "MAT-CART", "version": 2, "valid_from": "2026-12-01T00:00:00Z",
       "lines": [{"material_id": "MAT-LVV", "quantity": {"value": 2.5, "unit": "mL"}},
                 {"material_id": "MAT-IL2", "quantity": {"value": 1.0, "unit": "mL"}}]}


def command(**changes: Any) -> Envelope[ProvisionMaterials]:
    data = {"transfer_id": "TT-7", "materials": MATERIALS, "bom": BOM, "batch_quantity": {"value": 0.14, "unit": "L"},
            **changes}
    return Envelope.wrap(ProvisionMaterials.model_validate(data), source="/test", actor="user:qa.mlee;service:test",
                         sourcesystem="gxplink")


async def run(catalog: Catalog, erp: Any, envelope: Envelope[Any]) -> Outcome:
    return await command_handlers(catalog, erp)[envelope.type](envelope)


@pytest.mark.parametrize(("changes", "match"), [
    ({"materials": [], "bom": None, "batch_quantity": None}, "give at least one"),
    ({"batch_quantity": None}, "batch_quantity: required with a bom"),
    ({"materials": MATERIALS * 2}, "material ids must be unique"),
])
def test_the_command_is_consistent(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        command(**changes)


async def test_new_materials_are_created_held_ones_kept_and_the_bom_changed_once(catalog: Catalog) -> None:
    erp = FakeErp()
    erp.bills["BOM-MAT-CART"] = {**erp.bills.pop("BOM-FAKE-CART"), "id": "BOM-MAT-CART", "base_unit": "mL"}
    outcome = await run(catalog, erp, command())
    assert erp.materials["MAT-IL2"]["material_class"] == "raw_material"
    assert erp.materials["MAT-LVV"]["name"] == "Anti-CD19 CAR lentiviral vector"  # the site's own name is kept
    bill = erp.bills["BOM-MAT-CART"]
    assert [(i["material"], i["quantity"]) for i in bill["items"]] == [("MAT-LVV", 2.5), ("MAT-IL2", 1.0)]
    assert bill["version"] == 2 and bill["base_quantity"] == 0.14
    assert outcome.references == {"transfer_id": "TT-7", "materials_created": "MAT-IL2", "materials_held": "MAT-LVV",
                                  "bom_id": "BOM-MAT-CART", "bom_version": "2"}
    assert outcome.detail == ("materials created: MAT-IL2; materials held: MAT-LVV; BOM BOM-MAT-CART changed "
                              "(version 2)")
    assert [r["reason"] for r in erp.feed] == ["tech transfer TT-7: material master data"] * 2
    erp.bills["BOM-MAT-CART"]["base_quantity"], erp.bills["BOM-MAT-CART"]["base_unit"] = 140.0, "mL"
    again = await run(catalog, erp, command())
    assert again.references["materials_held"] == "MAT-IL2,MAT-LVV" and "held (version 2)" in (again.detail or "")
    assert erp.calls.count("post_material") == 1 and erp.calls.count("patch_bom") == 1


async def test_a_new_product_bom_is_posted(catalog: Catalog) -> None:
    erp = FakeErp()
    product = {"material_id": "MAT-X19", "name": "X19", "material_class": "final", "unit": "mL"}
    outcome = await run(catalog, erp, command(materials=[*MATERIALS, product], bom={**BOM, "bom_id": "BOM-MAT-X19",
                                                                                    "product": "MAT-X19"}))
    assert erp.bills["BOM-MAT-X19"]["version"] == 1 and "BOM BOM-MAT-X19 created" in (outcome.detail or "")


async def test_a_material_in_another_base_unit_is_refused(catalog: Catalog) -> None:
    erp = FakeErp()
    erp.materials["MAT-IL2"] = {"id": "MAT-IL2", "name": "IL-2", "base_unit": "ug"}
    with pytest.raises(ErpRefused) as caught:
        await run(catalog, erp, command(bom=None, batch_quantity=None))
    assert caught.value.code == "material_unit_differs" and "'ug', not 'mL'" in str(caught.value)


async def test_the_products_active_bom_is_changed_whatever_its_id(catalog: Catalog) -> None:
    erp = FakeErp()  # its active BOM of MAT-CART is BOM-FAKE-CART
    outcome = await run(catalog, erp, command())
    assert outcome.references["bom_id"] == "BOM-FAKE-CART" and "BOM-MAT-CART" not in erp.bills
    assert [i["material"] for i in erp.bills["BOM-FAKE-CART"]["items"]] == ["MAT-LVV", "MAT-IL2"]


async def test_refusals_carry_the_erp_code(catalog: Catalog) -> None:
    erp = FakeErp()
    with pytest.raises(ErpRefused) as caught:
        await run(catalog, erp, command(bom={**BOM, "bom_id": "BOM-X", "product": "MAT-NOPE"}))
    assert caught.value.code == "unknown_material"


class LosingErp(FakeErp):
    """Creates the material, then loses the answer (read timeout)."""

    lose = True

    async def post_material(self, body: Record) -> Reply:
        reply = await super().post_material(body)
        if self.lose:
            self.lose = False
            raise OutcomeUnknown("read timeout")
        return reply


async def test_a_lost_answer_is_found_by_the_next_attempt(catalog: Catalog) -> None:
    erp = LosingErp()
    with pytest.raises(RetryableError):
        await run(catalog, erp, command(bom=None, batch_quantity=None))
    outcome = await run(catalog, erp, command(bom=None, batch_quantity=None))
    assert outcome.references["materials_held"] == "MAT-IL2,MAT-LVV" and erp.calls.count("post_material") == 1


@pytest.fixture
async def client() -> AsyncIterator[ErpHttpClient]:
    erp = ErpHttpClient(URL, basic=("RFC_GXP", "pw"), timeout=1.0)
    yield erp
    await erp.close()


@respx.mock
async def test_the_client_reads_posts_and_patches_master_data(client: ErpHttpClient) -> None:
    respx.get(f"{URL}/materials/MAT%2F1").respond(404, json={"code": "unknown_material", "detail": "no"})
    assert await client.material("MAT/1") is None
    created = respx.post(f"{URL}/materials").respond(201, json={"id": "MAT-1"})
    assert (await client.post_material({"id": "MAT-1"})).status == 201
    assert json.loads(created.calls.last.request.content) == {"id": "MAT-1"}
    respx.get(f"{URL}/boms/BOM-1").respond(json={"@odata.etag": '"3"', "id": "BOM-1"}, headers={"ETag": '"3"'})
    assert (await client.bom("BOM-1") or {})["@odata.etag"] == '"3"'
    patched = respx.patch(f"{URL}/boms/BOM-1").respond(412, json={"code": "etag_mismatch", "detail": "stale"})
    reply = await client.patch_bom("BOM-1", {"items": []}, '"3"')
    assert reply.code == "etag_mismatch" and patched.calls.last.request.headers["if-match"] == '"3"'
    respx.post(f"{URL}/boms").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown):
        await client.post_bom({"material": "MAT-1"})
