"""The ISA-88 phase state model DeltaV Batch enforces."""

from __future__ import annotations

import pytest

from simulators.deltav import phase

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("state", "command", "target"), [
    ("IDLE", "START", "RUNNING"), ("RUNNING", "HOLD", "HOLDING"), ("HELD", "RESTART", "RESTARTING"),
    ("RUNNING", "COMPLETE", "COMPLETE"), ("RESTARTING", "HOLD", "HOLDING"), ("HELD", "STOP", "STOPPING"),
    ("STOPPING", "ABORT", "ABORTING"), ("ABORTED", "RESET", "IDLE"), ("COMPLETE", "reset", "IDLE"),
])
def test_accepted_commands(state: str, command: str, target: str) -> None:
    assert phase.next_state(state, command) == target


@pytest.mark.parametrize(("state", "command"), [
    ("IDLE", "HOLD"), ("RUNNING", "START"), ("HELD", "HOLD"), ("ABORTING", "STOP"), ("COMPLETE", "RESTART"),
    ("IDLE", "COMPLETE"), ("STOPPED", "START"),
])
def test_refused_commands_name_what_is_allowed(state: str, command: str) -> None:
    with pytest.raises(phase.InvalidTransition, match=f"{command} is not allowed in state {state}"):
        phase.next_state(state, command)


def test_unknown_commands_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown phase command"):
        phase.next_state("IDLE", "JUMP")


def test_transient_states_settle_and_faceplate_commands() -> None:
    assert phase.SETTLES_TO == {"HOLDING": "HELD", "RESTARTING": "RUNNING", "STOPPING": "STOPPED",
                                "ABORTING": "ABORTED"}
    assert phase.available("RUNNING") == ["HOLD", "STOP", "ABORT"]
    assert phase.available("ABORTING") == ["none"]
    assert set(phase.STATES) == {*phase._TRANSITIONS}
