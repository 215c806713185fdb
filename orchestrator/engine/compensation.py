"""Compensation, declared beside each forward step, run by the workflow generator itself.

Wrapping the workflow keeps compensation deterministic and replayable: when the workflow raises,
the wrapper yields the compensations of the completed steps in reverse order (as ordinary steps
named `compensate <step>`), then re-raises, so the instance ends failed-and-compensated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import Any

from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import WorkflowFn
from orchestrator.engine.effects import CommandRejected, Effect, SendCommand, StepTimedOut


class Compensated(Exception):
    """The workflow failed; the completed steps were compensated."""

    def __init__(self, cause: BaseException, compensated: list[str]) -> None:
        super().__init__(f"{cause} (compensated: {', '.join(compensated) or 'nothing to compensate'})")
        self.cause, self.compensated = cause, compensated


def with_compensation(fn: WorkflowFn) -> WorkflowFn:
    def run(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
        pending: list[SendCommand] = []
        inner = fn(ctx)
        send: Any = None
        throw: BaseException | None = None
        while True:
            try:
                effect = inner.throw(throw) if throw is not None else inner.send(send)
            except StopIteration as done:
                return str(done.value)
            except Exception as failure:
                names = []
                for step in reversed(pending):
                    undo = dataclasses.replace(step, step=f"compensate {step.step}")
                    try:
                        yield undo
                        names.append(step.step)
                    except (CommandRejected, StepTimedOut):
                        names.append(f"{step.step} (compensation failed)")
                raise Compensated(failure, names) from failure
            try:
                send, throw = (yield effect), None
                if isinstance(effect, SendCommand) and effect.compensation is not None:
                    pending.append(effect.compensation)
            except (CommandRejected, StepTimedOut) as outcome:
                send, throw = None, outcome
    return run
