"""Master batch records made from an ISA-88 recipe: steps bound to units, versions, idempotency, refusals."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from simulators.mes import batches, masters, steps
from simulators.mes.errors import Conflict, Unprocessable
from simulators.mes.master_models import MasterBatchRecordCreate
from simulators.mes.operator import Operator
from simulators.mes.store import MesStore

pytestmark = pytest.mark.unit

RECIPE: dict[str, Any] = {
    "id": "MR-CART22", "product": "CART-22", "recipe_version": 1, "reason": "tech transfer TT-1",
    "planned_quantity": {"value": 140.0, "unit": "mL"},
    "equipment_binding": {"bioreactor": "BR-101", "freezer": "CRF-101"},
    "unit_procedures": [
        {"name": "Expansion", "equipment_class": "bioreactor", "operations": [
            {"name": "Expansion", "phases": [
                {"name": "Expand", "parameters": [
                    {"name": "Temperature", "unit": "Cel", "sp": 37.0, "lo": 36.0, "hi": 38.0, "class": "CPP"},
                    {"name": "Viable cell density", "unit": "10*6/mL", "lo": 1.0, "class": "KPP"}]},
                {"name": "Perfuse", "parameters": [
                    {"name": "Perfusion rate", "unit": "L/d", "sp": 0.5, "lo": 0.25, "hi": 1.0, "class": "KPP"}]}]}]},
        {"name": "Cryopreservation", "equipment_class": "freezer", "operations": [
            {"name": "Freeze", "phases": [{"name": "Controlled-rate freeze", "parameters": []}]}]},
    ],
}


def body(**changes: Any) -> MasterBatchRecordCreate:
    return MasterBatchRecordCreate.model_validate({**copy.deepcopy(RECIPE), **changes})


def test_a_recipe_becomes_steps_on_the_bound_units_and_is_audited(store: MesStore) -> None:
    record, created = masters.create_version(store, body())
    assert created and record["version"] == 1 and record["status"] == "approved"
    assert [(s["step_id"], s["unit_procedure_id"], s["equipment_id"], s["critical"]) for s in record["steps"]] == [
        ("PH-0101", "UP-01", "BR-101", True), ("PH-0102", "UP-01", "BR-101", False),
        ("PH-0201", "UP-02", "CRF-101", False)]
    density = record["steps"][0]["parameters"][1]
    assert density == {"name": "Viable cell density", "unit": "10*6/mL", "sp": None, "lo": 1.0, "hi": None,
                       "class": "KPP"}
    assert record["product_name"] == record["batch_id_prefix"] == "CART-22" and record["recipe_version"] == 1
    created_entries = [e for e in store.audit.entries if e.record_type == "master_batch_record"]
    assert [(e.user, e.action, e.field, e.old, e.new, e.reason) for e in created_entries] == [
        ("svc-integration", "create", "version", None, 1, "tech transfer TT-1"),
        ("svc-integration", "create", "steps", None, 3, "tech transfer TT-1")]
    assert store.master_batch_record("MR-CART22") is record


def test_the_same_content_twice_is_the_same_version(store: MesStore) -> None:
    first, _ = masters.create_version(store, body())
    entries = len(store.audit.entries)
    again, created = masters.create_version(store, body(reason="sent again"))
    assert again is first and not created and len(store.audit.entries) == entries


def test_new_content_is_the_next_version_and_supersedes_the_current(store: MesStore) -> None:
    masters.create_version(store, body())
    changed = copy.deepcopy(RECIPE["unit_procedures"])
    changed[0]["operations"][0]["phases"][0]["parameters"][0]["hi"] = 37.5
    record, created = masters.create_version(store, body(recipe_version=2, unit_procedures=changed))
    assert created and record["version"] == 2
    assert [(v["version"], v["status"]) for v in masters.versions(store, "MR-CART22")] == [
        (1, "superseded"), (2, "approved")]
    assert any(e.action == "supersede" and e.new == "superseded" for e in store.audit.entries)
    back, created = masters.create_version(store, body())  # a late repeat of version 1 changes nothing
    assert not created and back["version"] == 1 and store.master_batch_record("MR-CART22")["version"] == 2


def test_a_new_version_of_the_seeded_record_keeps_its_names(store: MesStore) -> None:
    record, created = masters.create_version(store, body(id="MR-CART19", product="CART-19", recipe_version=None))
    assert created and record["version"] == 4 and record["batch_id_prefix"] == "CART"
    assert record["product_name"] == "Autologous anti-CD19 CAR-T cells"
    assert masters.version_of(store, "MR-CART19", 3)["status"] == "superseded"


@pytest.mark.parametrize(("changes", "error", "match"), [
    ({"equipment_binding": {"bioreactor": "BR-999", "freezer": "CRF-101"}}, Unprocessable, "not equipment"),
    ({"equipment_binding": {"bioreactor": "CRF-101", "freezer": "CRF-101"}}, Unprocessable, "is a freezer"),
    ({"equipment_binding": {"bioreactor": "BR-101"}}, Unprocessable, "no unit for that class"),
    ({"product": "CART-19", "id": "MR-CART19"}, None, None),
])
def test_units_must_exist_be_of_their_class_and_be_bound(store: MesStore, changes: dict[str, Any],
                                                          error: type[Exception] | None, match: str | None) -> None:
    if error is None:
        assert masters.create_version(store, body(**changes))[1]
        return
    with pytest.raises(error, match=match):
        masters.create_version(store, body(**changes))


def test_recipe_versions_arrive_in_order_and_never_change(store: MesStore) -> None:
    masters.create_version(store, body(recipe_version=2))
    other = copy.deepcopy(RECIPE["unit_procedures"])
    other[1]["name"] = "Cryo"
    with pytest.raises(Conflict, match="holds recipe version 2 with other content"):
        masters.create_version(store, body(recipe_version=2, unit_procedures=other))
    with pytest.raises(Conflict, match="version 1 is older"):
        masters.create_version(store, body(recipe_version=1, unit_procedures=other))
    with pytest.raises(Conflict, match="makes CART-22"):
        masters.create_version(store, body(product="CART-19"))


@pytest.mark.parametrize("bad", [
    {"unit_procedures": []},
    {"planned_quantity": {"value": 0, "unit": "mL"}},
    {"unit_procedures": [{"name": "X", "equipment_class": "bioreactor", "operations": [{"name": "Y", "phases": [
        {"name": "Z", "parameters": [{"name": "T", "unit": "Cel", "sp": 40.0, "lo": 36.0, "hi": 38.0,
                                      "class": "CPP"}]}]}]}]},
    {"unit_procedures": [{"name": "X", "equipment_class": "bioreactor", "operations": [{"name": "Y", "phases": [
        {"name": "Z", "parameters": [{"name": "T", "unit": "Cel", "class": "CPP"}] * 2}]}]}]},
    {"surprise": True},
])
def test_invalid_bodies_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        body(**bad)


def test_a_batch_runs_on_a_provisioned_record_with_open_ranges(store: MesStore) -> None:
    masters.create_version(store, body())
    batch = batches.create_batch(store, "B-22", "MR-CART22", None)
    assert batch["master_batch_record_version"] == 1 and batch["planned_quantity"] == {"value": 140.0, "unit": "mL"}
    Operator(store, seed=7).complete("B-22")
    density = store.batch("B-22")["steps"][0]["parameters"][1]
    assert density["value"] >= 1.0 and density["in_range"] is True
    assert store.batch("B-22")["state"] == "completed"


def test_a_record_without_planned_quantity_needs_one_per_batch(store: MesStore) -> None:
    masters.create_version(store, body(planned_quantity=None))
    with pytest.raises(Unprocessable, match="names no planned quantity"):
        batches.create_batch(store, "B-1", "MR-CART22", None)
    assert batches.create_batch(store, "B-1", "MR-CART22", None, {"value": 70.0, "unit": "mL"})["state"] == "created"


def test_a_value_outside_an_open_range_is_out_of_range(store: MesStore) -> None:
    masters.create_version(store, body())
    batches.create_batch(store, "B-2", "MR-CART22", None)
    batches.transition(store, "B-2", "release", None, None)
    batches.transition(store, "B-2", "start", None, None)
    steps.start_step(store, "B-2", "PH-0101", "jdoe")
    step = steps.record_parameter(store, "B-2", "PH-0101", "Viable cell density", 0.5, "10*6/mL", "jdoe", None)
    assert step["parameters"][1]["in_range"] is False
