"""The release rules of batch_release, driven effect by effect: an out-of-specification result rejects
the lot without asking anyone to sign; an open deviation is waited for; only a signature releases."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

import pytest

from canonical_model.commands.erp import ReleaseLot, SetLotDisposition
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.effects import AllOf, AwaitEvent, Collect, Decide, Effect, HumanTask, SendCommand
from orchestrator.workflows.batch_release import batch_release

pytestmark = pytest.mark.unit
BATCH = "CART-2026-0042"


def start() -> Generator[Effect, Any, str]:
    ctx = WorkflowContext("wf-1", "batch_release", 2, BATCH, {}, datetime(2026, 3, 1, tzinfo=UTC))
    return batch_release(ctx)


def through_results(flow: Generator[Effect, Any, str], outcomes: list[str],
                    deviations: list[dict[str, Any]] | None = None) -> Effect:
    """Answer the batch record, samples, results and deviation lookups; return the next effect."""
    assert isinstance(next(flow), Collect)
    samples = [{"data": {"sample": {"sample_id": f"S-{i}"}}} for i in range(len(outcomes))]
    assert isinstance(flow.send([{"data": {"batch": {"lot_id": f"L-{BATCH}"}}}]), Collect)
    waiting = flow.send(samples)
    assert isinstance(waiting, AllOf) and len(waiting.branches) == len(outcomes)
    assert isinstance(flow.send([{"data": {"outcome": o}} for o in outcomes]), Collect)
    assert isinstance(flow.send(deviations or []), Collect)
    return flow.send([])


def run_out(flow: Generator[Effect, Any, str], effect: Effect, answers: dict[type, Any]) -> tuple[list[Effect], str]:
    seen = [effect]
    try:
        while True:
            effect = flow.send(answers.get(type(effect)))
            seen.append(effect)
    except StopIteration as done:
        return seen, str(done.value)


@pytest.mark.requirement("URS-001", "P11-009")
def test_an_out_of_specification_result_rejects_the_lot_and_nothing_releases_it() -> None:
    flow = start()
    decided = through_results(flow, ["in_specification", "out_of_specification"])
    assert isinstance(decided, Decide) and decided.decision == "reject"
    seen, result = run_out(flow, decided, {})
    commands = [e.command for e in seen if isinstance(e, SendCommand)]
    assert result == "rejected" and [type(c) for c in commands] == [SetLotDisposition]
    reject = commands[0]
    assert isinstance(reject, SetLotDisposition) and reject.disposition == "reject"
    assert "out_of_specification" in reject.reason
    assert not any(isinstance(e, HumanTask) for e in seen), "no one is asked to sign a lot that cannot pass"


@pytest.mark.requirement("URS-001", "P11-009")
def test_an_open_deviation_is_waited_for_and_release_needs_the_qa_signature() -> None:
    flow = start()
    opened = [{"data": {"deviation": {"deviation_id": "DEV-9", "status": "open"}}}]
    waiting = through_results(flow, ["in_specification"], deviations=opened)
    assert isinstance(waiting, AwaitEvent) and waiting.step == "closure of DEV-9"
    decided = flow.send({"data": {"deviation_id": "DEV-9", "status": "closed"}})
    assert isinstance(decided, Decide) and decided.decision == "release"
    task = flow.send(None)
    assert isinstance(task, HumanTask) and task.role == "qa" and "approved" in task.meanings
    release = flow.send({"meaning": "approved", "signer_name": "Dana Demo", "signature_id": "SIG-1"})
    assert isinstance(release, SendCommand) and isinstance(release.command, ReleaseLot)
    assert release.command.signature_id == "SIG-1", "the release names the signature that executed it"


@pytest.mark.requirement("URS-001")
def test_qa_rejecting_at_signature_rejects_the_lot() -> None:
    flow = start()
    decided = through_results(flow, ["in_specification"])
    task = flow.send(None)
    assert isinstance(decided, Decide) and isinstance(task, HumanTask)
    seen, result = run_out(flow, flow.send({"meaning": "rejected", "signer_name": "Dana Demo",
                                            "signature_id": "SIG-2"}), {})
    assert result == "rejected" and not any(isinstance(getattr(e, "command", None), ReleaseLot) for e in seen)
