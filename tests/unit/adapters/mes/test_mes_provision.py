"""ProvisionMasterRecipe: rendered by its mapping, posted once, a repeat is success, refusals permanent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from adapters.mes.api import MesProblem
from adapters.mes.client import MesHttpClient
from adapters.mes.commands import MesCommands
from adapters.mes.fake import FakeMesClient
from canonical_model.commands.mes import ProvisionMasterRecipe
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from messaging.errors import RetryableError

pytestmark = pytest.mark.unit
URL = "http://mes.test:8080"
RECIPE: dict[str, Any] = {
    "recipe_id": "MR-CART19", "version": 2, "product": "CART-19",
    "unit_procedures": [{"name": "Expansion", "unit_class": "bioreactor", "operations": [{"name": "Expansion",
                                                                                        "phases": [
        {"name": "Expand", "parameters": [
            {"name": "Temperature", "unit": "Cel", "set_point": {"value": 37.0, "unit": "Cel"}, "low": 36.0,
             "high": 38.0, "classification": "CPP"}]},
        {"name": "Perfuse", "equipment_class": "perfusion_skid"}]}]}],
}


def command(**changes: Any) -> Envelope[ProvisionMasterRecipe]:
    data = {"transfer_id": "TT-9", "master_recipe": RECIPE,
            "equipment_binding": {"bioreactor": "BR-101", "perfusion_skid": "BR-101"}, **changes}
    return Envelope.wrap(ProvisionMasterRecipe.model_validate(data), source="/test", actor="service:test",
                         sourcesystem="gxplink")


@pytest.fixture
def commands(catalog: Catalog, fake: FakeMesClient) -> MesCommands:
    return MesCommands(catalog, fake)


def test_every_equipment_class_of_the_recipe_must_be_bound() -> None:
    with pytest.raises(ValueError, match="no unit for equipment class\\(es\\) perfusion_skid"):
        command(equipment_binding={"bioreactor": "BR-101"})


async def test_the_recipe_is_posted_with_its_binding_and_the_transfer_as_reason(commands: MesCommands,
                                                                                fake: FakeMesClient) -> None:
    outcome = await commands.handlers()[ProvisionMasterRecipe.ce_type()](command())
    ((operation, mbr_id, body),) = fake.calls
    assert (operation, mbr_id) == ("master_batch_record", "MR-CART19")
    assert body["equipment_binding"] == {"bioreactor": "BR-101", "perfusion_skid": "BR-101"}
    phases = body["unit_procedures"][0]["operations"][0]["phases"]
    assert phases[0]["parameters"] == [{"name": "Temperature", "unit": "Cel", "sp": 37.0, "lo": 36.0, "hi": 38.0,
                                        "class": "CPP"}]
    assert phases[1] == {"name": "Perfuse", "equipment_class": "perfusion_skid", "parameters": []}
    assert body["reason"] == "tech transfer TT-9: master recipe MR-CART19 version 2" and "user" not in body
    assert outcome.detail == "master batch record MR-CART19 version 1 created from recipe MR-CART19 version 2"
    assert outcome.references == {"master_batch_record_id": "MR-CART19", "master_batch_record_version": "1",
                                  "transfer_id": "TT-9"}


async def test_a_repeat_is_success_and_creates_nothing(commands: MesCommands, fake: FakeMesClient) -> None:
    await commands.provision_master_recipe(command())
    outcome = await commands.provision_master_recipe(command())
    assert "already held" in (outcome.detail or "") and len(fake.calls) == 1


async def test_a_refusal_is_permanent_with_the_problem_code(commands: MesCommands) -> None:
    with pytest.raises(MesProblem) as caught:
        await commands.provision_master_recipe(command(equipment_binding={"bioreactor": "BR-999",
                                                                          "perfusion_skid": "BR-101"}))
    assert caught.value.code == "unknown-equipment" and caught.value.status == 422


async def test_an_unreachable_mes_is_retryable(commands: MesCommands, fake: FakeMesClient) -> None:
    fake.down = True
    with pytest.raises(RetryableError):
        await commands.provision_master_recipe(command())


@pytest.fixture
async def client() -> AsyncIterator[MesHttpClient]:
    mes = MesHttpClient(URL, "svc-integration", "secret", timeout=1.0)
    await mes.open()
    yield mes
    await mes.close()


@respx.mock
async def test_the_client_tells_created_from_held(client: MesHttpClient) -> None:
    route = respx.post(f"{URL}/master-batch-records").mock(side_effect=[
        httpx.Response(201, json={"id": "MR-1", "version": 4}), httpx.Response(200, json={"id": "MR-1", "version": 4})])
    assert await client.create_master_batch_record({"id": "MR-1"}) == ({"id": "MR-1", "version": 4}, True)
    assert await client.create_master_batch_record({"id": "MR-1"}) == ({"id": "MR-1", "version": 4}, False)
    assert json.loads(route.calls.last.request.content) == {"id": "MR-1"}


@respx.mock
@pytest.mark.parametrize(("response", "error", "code"), [
    (httpx.Response(409, json={"type": "urn:mes:problem:recipe-version-superseded", "title": "Conflict",
                               "status": 409, "detail": "older"}), MesProblem, "recipe-version-superseded"),
    (httpx.Response(422, json={"type": "urn:mes:problem:validation-error", "title": "Invalid", "status": 422,
                               "detail": "unit_procedures: too short"}), MesProblem, "validation-error"),
    (httpx.Response(503, json={"detail": "busy"}), RetryableError, None),
    (httpx.Response(201, content=b'{"id": "MR-1", "vers'), RetryableError, None),
])
async def test_the_client_classifies_failures(client: MesHttpClient, response: httpx.Response,
                                              error: type[Exception], code: str | None) -> None:
    respx.post(f"{URL}/master-batch-records").mock(return_value=response)
    with pytest.raises(error) as caught:
        await client.create_master_batch_record({"id": "MR-1"})
    assert getattr(caught.value, "code", None) == code
