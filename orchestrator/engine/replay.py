"""Deterministic replay: run workflow code against its recorded history to find where it stands.

The generator is run from the start every time, fed the recorded outcome of each step. It stops at
the first effect without an outcome: that effect is either new (the engine must issue it, after
recording it) or issued and still waiting. An effect that differs from the recorded one (another
step name or kind at the same position) means the code changed under a running instance: a
divergence, reported, never silently followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import WorkflowDefinition
from orchestrator.engine.effects import CommandRejected, Effect, StepTimedOut


class ReplayDivergence(Exception):
    """The workflow code no longer yields what the history recorded."""


@dataclass(frozen=True)
class Recorded:
    seq: int
    step: str
    kind: str
    issued_at: datetime
    outcome: dict[str, Any] | None  # {"value": ...} or {"error": ..., "kind": "rejected" | "timeout"}
    resolved_at: datetime | None


@dataclass(frozen=True)
class Position:
    """Where the instance stands: finished (result), or at `seq` with `effect` (new or waiting)."""

    seq: int
    effect: Effect | None
    issued: Recorded | None
    finished: bool = False
    result: str | None = None
    error: BaseException | None = None
    completed_steps: tuple[tuple[int, Effect], ...] = ()


def kind_of(effect: Effect) -> str:
    return type(effect).__name__


def replay(definition: WorkflowDefinition, ctx: WorkflowContext, history: list[Recorded]) -> Position:
    generator = definition.fn(ctx)
    completed: list[tuple[int, Effect]] = []
    send: Any = None
    throw: BaseException | None = None
    for seq, step_time in _positions(history, ctx.now):
        ctx.now = step_time
        try:
            effect = generator.throw(throw) if throw is not None else generator.send(send)
        except StopIteration as done:
            return Position(seq, None, None, finished=True, result=done.value, completed_steps=tuple(completed))
        except Exception as failure:  # the workflow gave up (an uncaught rejection): compensate
            return Position(seq, None, None, finished=True, error=failure, completed_steps=tuple(completed))
        send, throw = None, None
        recorded = history[seq] if seq < len(history) else None
        if recorded is None:
            return Position(seq, effect, None, completed_steps=tuple(completed))
        if (recorded.step, recorded.kind) != (effect.step, kind_of(effect)):
            raise ReplayDivergence(f"step {seq}: history has {recorded.kind} {recorded.step!r}, "
                                   f"the code now yields {kind_of(effect)} {effect.step!r}")
        if recorded.outcome is None:
            return Position(seq, effect, recorded, completed_steps=tuple(completed))
        if "error" in recorded.outcome:
            throw = (StepTimedOut(effect.step) if recorded.outcome.get("kind") == "timeout"
                     else CommandRejected(effect.step, recorded.outcome["error"]))
        else:
            send = recorded.outcome.get("value")
            completed.append((seq, effect))
    raise AssertionError("unreachable")


def _positions(history: list[Recorded], start: datetime) -> Any:
    """(seq, the time the workflow sees at that step): the resolution time of the step before."""
    seq, now = 0, start
    while True:
        yield seq, now
        if seq < len(history) and history[seq].resolved_at is not None:
            now = history[seq].resolved_at or now
        seq += 1
