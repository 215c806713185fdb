"""The batch state machine and batch creation from the master batch record."""

from __future__ import annotations

import pytest

from simulators.mes import batches
from simulators.mes.errors import Conflict, NotFound, Unprocessable
from simulators.mes.operator import Operator
from simulators.mes.store import MesStore

pytestmark = pytest.mark.unit


def test_create_batch_takes_steps_and_lot_from_the_master_batch_record(store: MesStore) -> None:
    batch = batches.create_batch(store, "CART-T-0001", "MR-CART19", "sup.kchen")
    assert (batch["state"], batch["lot"], batch["product"]) == ("created", "L-CART-T-0001", "CART-19")
    assert [s["step_id"] for s in batch["steps"]][:2] == ["PH-0101", "PH-0201"] and len(batch["steps"]) == 8
    assert store.lot("APH-CART-T-0001")["status"] == "released"
    assert store.feed.records[-1]["type"] == "batch_created"
    assert store.audit.entries[-1].record_id == "CART-T-0001"


def test_generated_batch_ids_are_sequential_and_unique(store: MesStore) -> None:
    first = batches.create_batch(store, None, "MR-CART19", None)["batch_id"]
    second = batches.create_batch(store, None, "MR-CART19", None)["batch_id"]
    assert first.startswith("CART-") and first.endswith("-0001") and second.endswith("-0002")


def test_create_refuses_duplicates_unknown_recipes_and_unknown_users(store: MesStore) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    with pytest.raises(Conflict):
        batches.create_batch(store, "B1", "MR-CART19", None)
    with pytest.raises(Unprocessable):
        batches.create_batch(store, "B2", "MR-NOPE", None)
    with pytest.raises(Unprocessable, match="not a user"):
        batches.create_batch(store, "B3", "MR-CART19", "mallory")


def test_lifecycle_with_hold_and_resume(store: MesStore, operator: Operator) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    for action, reason, state in [("release", None, "released"), ("start", None, "in_execution"),
                                  ("hold", "deviation DEV-1 opened", "on_hold"),
                                  ("resume", "DEV-1 assessed", "in_execution")]:
        assert batches.transition(store, "B1", action, "sup.kchen", reason)["state"] == state
    batch = store.batch("B1")
    assert [h["to"] for h in batch["state_history"]] == ["released", "in_execution", "on_hold", "in_execution"]
    assert batch["started_at"] and batch["hold_reason"] is None
    assert store.audit.entries[-1].reason == "DEV-1 assessed"
    assert operator.complete("B1")["state"] == "completed"


@pytest.mark.parametrize("action", ["start", "hold", "resume", "complete", "abort"])
def test_invalid_transitions_from_created_are_conflicts(store: MesStore, action: str) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    with pytest.raises(Conflict) as caught:
        batches.transition(store, "B1", action, None, "because")
    assert caught.value.problem()["type"].endswith("invalid-transition") and caught.value.problem()["status"] == 409
    assert store.batch("B1")["state"] == "created"


def test_hold_needs_a_reason_and_unknown_batches_are_not_found(store: MesStore) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "release", None, None)
    batches.transition(store, "B1", "start", None, None)
    with pytest.raises(Unprocessable, match="reason"):
        batches.transition(store, "B1", "hold", None, None)
    with pytest.raises(NotFound):
        batches.transition(store, "NOPE", "start", None, None)


def test_complete_needs_a_complete_batch_record(store: MesStore) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "release", None, None)
    batches.transition(store, "B1", "start", None, None)
    with pytest.raises(Conflict) as caught:
        batches.transition(store, "B1", "complete", None, None)
    assert caught.value.extra["open_items"][0].startswith("PH-0101")


def test_terminal_states_allow_nothing(store: MesStore) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "cancel", None, "patient withdrew")
    for action in batches.TRANSITIONS:
        with pytest.raises(Conflict):
            batches.transition(store, "B1", action, None, "x")
