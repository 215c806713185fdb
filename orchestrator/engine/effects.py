"""What workflow code asks the engine to do. Workflows yield these; they never do IO themselves.

Every effect names its step; step names are unique within a workflow run, so the history can say
which step an outcome belongs to and a replay can detect code that no longer does what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canonical_model.messages import Command


@dataclass(frozen=True)
class SendCommand:
    """Send a canonical command to a system's adapter and wait for its reply.

    `compensation` is declared beside the forward step: if the workflow later fails, the engine
    sends the compensations of the completed steps in reverse order.
    """

    step: str
    command: Command
    timeout_seconds: float = 300.0
    compensation: SendCommand | None = None


@dataclass(frozen=True)
class AwaitEvent:
    """Wait for the next event of one of `types` whose fields match (dotted paths into the envelope).

    Events that arrived before the wait count too, so a fast system cannot race the workflow;
    an event is handed to one wait of an instance only once.
    """

    step: str
    types: tuple[str, ...]
    match: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class Collect:
    """Every event so far of one of `types` matching `match`: a snapshot, recorded, so replays see the same."""

    step: str
    types: tuple[str, ...]
    match: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sleep:
    step: str
    seconds: float


@dataclass(frozen=True)
class HumanTask:
    """A task for a person, completed by an electronic signature with one of `meanings`."""

    step: str
    title: str
    record_type: str
    record_id: str
    record: dict[str, Any]
    meanings: tuple[str, ...]
    role: str = "qa"


@dataclass(frozen=True)
class Decide:
    """Record a decision and its reasons (it becomes an audit record); resolves at once."""

    step: str
    decision: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllOf:
    """Parallel branches: every branch is issued at once; the step resolves, with their outcomes in order,
    when all of them have one (the first failure is thrown instead)."""

    step: str
    branches: tuple[SendCommand | AwaitEvent | Collect | Sleep | HumanTask, ...]


Effect = SendCommand | AwaitEvent | Collect | Sleep | HumanTask | Decide | AllOf


class CommandRejected(Exception):
    """Thrown into the workflow when a system answered a command with command_failed."""

    def __init__(self, step: str, reply: dict[str, Any]) -> None:
        data = reply.get("data", {})
        super().__init__(f"{step}: {data.get('detail', 'failed')}")
        self.step, self.reply = step, reply
        self.error_class = data.get("error_class", "permanent")


class StepTimedOut(Exception):
    """Thrown into the workflow when an awaited reply or event did not come in time."""

    def __init__(self, step: str) -> None:
        super().__init__(f"{step}: timed out")
        self.step = step
