"""The batch lifecycle state machine and the messages that rely on it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from canonical_model.batch import Batch
from canonical_model.batch_state import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATES,
    BatchState,
    InvalidBatchTransition,
    can_transition,
    transition,
)
from canonical_model.events.mes import BatchStateChanged

pytestmark = pytest.mark.unit

S = BatchState
ALLOWED = [
    (S.CREATED, S.SCHEDULED),
    (S.CREATED, S.RUNNING),
    (S.CREATED, S.CANCELLED),
    (S.SCHEDULED, S.RUNNING),
    (S.SCHEDULED, S.CANCELLED),
    (S.RUNNING, S.HELD),
    (S.RUNNING, S.COMPLETE),
    (S.RUNNING, S.ABORTED),
    (S.HELD, S.RUNNING),
    (S.HELD, S.ABORTED),
]


def test_table_covers_every_state_and_is_exactly_the_allowed_set() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(BatchState)
    table = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == set(ALLOWED)
    assert {S.COMPLETE, S.ABORTED, S.CANCELLED} == TERMINAL_STATES


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current: BatchState, target: BatchState) -> None:
    assert can_transition(current, target)
    assert transition(current.value, target.value) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a in BatchState for b in BatchState if (a, b) not in ALLOWED],
)
def test_every_other_transition_is_blocked(current: BatchState, target: BatchState) -> None:
    assert not can_transition(current, target)
    with pytest.raises(InvalidBatchTransition) as info:
        transition(current, target)
    assert f"{current.value!r} -> {target.value!r} is not allowed" in str(info.value)


def test_error_lists_what_is_allowed() -> None:
    with pytest.raises(InvalidBatchTransition, match="from 'held' allowed: aborted, running"):
        transition("held", "complete")
    with pytest.raises(InvalidBatchTransition, match="none \\(terminal state\\)"):
        transition("complete", "running")


def test_unknown_state_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'restarted' is not a valid BatchState"):
        can_transition("held", "restarted")


def _batch(t0: datetime, state: BatchState = S.CREATED) -> Batch:
    return Batch(
        batch_id="CART-2026-0001",
        product="CART-CD19",
        master_recipe_id="MR-CART-CD19",
        master_recipe_version=3,
        state=state,
        created_at=t0,
    )


def test_batch_with_state_walks_the_lifecycle_and_stamps_times(t0: datetime) -> None:
    started, ended = t0 + timedelta(hours=1), t0 + timedelta(days=12)
    batch = _batch(t0).with_state("running", at=started).with_state(S.HELD).with_state(S.RUNNING, at=ended)
    assert batch.state is S.RUNNING
    assert batch.started_at == started  # a restart does not move the start
    done = batch.with_state(S.COMPLETE, at=ended)
    assert (done.state, done.ended_at) == (S.COMPLETE, ended)
    with pytest.raises(InvalidBatchTransition):
        done.with_state(S.RUNNING)


@pytest.mark.requirement("P11-009")
def test_batch_state_changed_event_rejects_an_illegal_transition(t0: datetime) -> None:
    ok = BatchStateChanged(batch_id="CART-2026-0001", previous_state=S.HELD, state=S.RUNNING, changed_at=t0)
    assert ok.state is S.RUNNING
    with pytest.raises(ValidationError, match="state: transition 'complete' -> 'running' not allowed"):
        BatchStateChanged(batch_id="CART-2026-0001", previous_state=S.COMPLETE, state=S.RUNNING, changed_at=t0)
