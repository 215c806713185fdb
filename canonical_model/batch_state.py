"""The batch lifecycle as an explicit state machine.

The states follow the ISA-88 procedure states an MES exposes at batch level (a restart is the
`held -> running` transition, not a state). Every component checks transitions against this one
table, so the MES adapter, the workflows and the audit trail agree on what a legal change is.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class BatchState(StrEnum):
    """Lifecycle state of a batch (production record)."""

    CREATED = "created"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    HELD = "held"
    COMPLETE = "complete"
    ABORTED = "aborted"
    CANCELLED = "cancelled"


ALLOWED_TRANSITIONS: MappingProxyType[BatchState, frozenset[BatchState]] = MappingProxyType(
    {
        BatchState.CREATED: frozenset({BatchState.SCHEDULED, BatchState.RUNNING, BatchState.CANCELLED}),
        BatchState.SCHEDULED: frozenset({BatchState.RUNNING, BatchState.CANCELLED}),
        BatchState.RUNNING: frozenset({BatchState.HELD, BatchState.COMPLETE, BatchState.ABORTED}),
        BatchState.HELD: frozenset({BatchState.RUNNING, BatchState.ABORTED}),
        BatchState.COMPLETE: frozenset(),
        BatchState.ABORTED: frozenset(),
        BatchState.CANCELLED: frozenset(),
    }
)
"""from-state -> the states it may move to; terminal states map to the empty set."""

TERMINAL_STATES = frozenset(state for state, targets in ALLOWED_TRANSITIONS.items() if not targets)


class InvalidBatchTransition(ValueError):
    """A state change the batch lifecycle does not allow."""

    def __init__(self, current: BatchState, target: BatchState) -> None:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "none (terminal state)"
        super().__init__(
            f"batch state transition {current.value!r} -> {target.value!r} is not allowed; "
            f"from {current.value!r} allowed: {allowed}"
        )
        self.current = current
        self.target = target


def can_transition(current: BatchState | str, target: BatchState | str) -> bool:
    """True if a batch in `current` may move to `target`."""
    return BatchState(target) in ALLOWED_TRANSITIONS[BatchState(current)]


def transition(current: BatchState | str, target: BatchState | str) -> BatchState:
    """Return `target` if the change is allowed, else raise `InvalidBatchTransition`."""
    current, target = BatchState(current), BatchState(target)
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidBatchTransition(current, target)
    return target
