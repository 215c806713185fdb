"""Workflow definitions: a name, a version, a pure generator function, and what starts it.

In-flight instances keep the version they started with, so a new version can be deployed while old
instances finish on the code they began with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.effects import Effect
from orchestrator.engine.matching import dig

WorkflowFn = Callable[[WorkflowContext], Generator[Effect, Any, str]]
KeyFn = Callable[[dict[str, Any]], str | None]


class EventLookup(Protocol):
    """What a guard may read: the events the orchestrator has taken in."""

    def events_of_types(self, types: tuple[str, ...], correlationid: str | None) -> Awaitable[list[dict[str, Any]]]: ...


Guard = Callable[[dict[str, Any], EventLookup], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Trigger:
    """Start an instance for each event of `event_type` matching `match`.

    `key` (a dotted path, or a function of the event) is the business key. A `guard` decides what
    field equality cannot, from what the orchestrator already knows (e.g. a value outside the range
    of the batch's recipe): it returns None to start nothing, or input values to add to the instance's.
    """

    event_type: str
    key: str | KeyFn
    match: dict[str, Any] = field(default_factory=dict)
    input: dict[str, str] = field(default_factory=dict)  # input field -> dotted path in the event
    guard: Guard | None = None

    def key_of(self, envelope: dict[str, Any]) -> str:
        key = self.key(envelope) if callable(self.key) else dig(envelope, self.key)
        return str(key or "")


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    fn: WorkflowFn
    triggers: tuple[Trigger, ...] = ()
    one_per_key: bool = True  # at most one instance per business key (e.g. one release per batch)


class WorkflowRegistry:
    def __init__(self, definitions: list[WorkflowDefinition]) -> None:
        self._all = {(d.name, d.version): d for d in definitions}

    def get(self, name: str, version: int) -> WorkflowDefinition:
        if (name, version) not in self._all:
            raise KeyError(f"no workflow {name} v{version}; known: {sorted(self._all)}")
        return self._all[(name, version)]

    def latest(self, name: str) -> WorkflowDefinition:
        versions = [d for (n, _), d in self._all.items() if n == name]
        if not versions:
            raise KeyError(f"no workflow {name!r}")
        return max(versions, key=lambda d: d.version)

    def triggered_by(self, event_type: str) -> list[tuple[WorkflowDefinition, Trigger]]:
        latest = {d.name: d for d in sorted(self._all.values(), key=lambda d: d.version)}
        return [(d, t) for d in latest.values() for t in d.triggers if t.event_type == event_type]

    def names(self) -> list[str]:
        return sorted({n for n, _ in self._all})
