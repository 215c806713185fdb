"""Sample to result: an MES sample pull -> a LIMS order -> results -> recorded on the MES batch.

An out-of-specification result opens a QMS deviation linked to batch, sample and result; a
corrected result (OBX-11 = C) replaces the value it corrects. The workflow ends when every test
asked for has a final or corrected result, and says whether the sample is within specification.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from canonical_model.commands.lims import PlaceTestOrder
from canonical_model.commands.mes import RecordQcSummary
from canonical_model.commands.qms import OpenDeviation
from canonical_model.test_result import TestResult
from orchestrator.engine.compensation import with_compensation
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import Trigger, WorkflowDefinition
from orchestrator.engine.effects import AwaitEvent, Decide, Effect, SendCommand, StepTimedOut
from orchestrator.workflows.types import RESULTS, SAMPLE_PULLED

CORRECTION_WINDOW_SECONDS = 3600.0  # how long an OOS result may still be corrected by the lab


def sample_to_result(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    sample, batch = ctx.business_key, ctx.input.get("batch_id")
    tests = list(ctx.input.get("tests") or [])
    if not tests:
        yield Decide("no tests", "nothing_to_order", (f"the batch record asks for no test on {sample}",))
        return "no_tests"
    yield SendCommand("order tests", PlaceTestOrder(
        placer_order_id=f"PO-{sample}"[:200], sample_id=sample, sample_type=ctx.input["sample_type"],
        batch_id=batch, tests=tuple(tests)))
    latest: dict[str, dict[str, Any]] = {}
    deviations: dict[str, str] = {}
    waited = 0
    while not all(_final(latest.get(test)) for test in tests):
        waited += 1
        event = yield AwaitEvent(f"result {waited}", RESULTS, {"data.result.sample_id": sample})
        result = event["data"]["result"]
        latest[result["analyte"]] = result
        if _oos(result) and result["analyte"] not in deviations and batch:
            deviations[result["analyte"]] = yield from _open_oos_deviation(result, event["id"], batch)
    for analyte in sorted(a for a, r in latest.items() if _oos(r)):
        waited += 1
        try:
            event = yield AwaitEvent(f"correction of {analyte}", RESULTS[1:],
                                     {"data.result.sample_id": sample, "data.result.analyte": analyte},
                                     timeout_seconds=CORRECTION_WINDOW_SECONDS)
            latest[analyte] = event["data"]["result"]
        except StepTimedOut:  # no correction in time: the OOS result stands
            yield Decide(f"{analyte} stands", "oos_confirmed", (f"no corrected {analyte} result within the window",))
    within = not any(_oos(r) for r in latest.values())
    if batch:
        results = tuple(TestResult.model_validate(latest[t]) for t in tests if t in latest)
        yield SendCommand("record QC summary", RecordQcSummary(batch_id=batch, results=results,
                                                               all_within_specification=within))
    yield Decide("assess sample", "in_specification" if within else "out_of_specification",
                 tuple(f"{a}: {_shown(r)}" for a, r in sorted(latest.items())))
    return "in_specification" if within else "out_of_specification"


def _open_oos_deviation(result: dict[str, Any], event_id: str, batch: str) -> Generator[Effect, Any, str]:
    reply = yield SendCommand(f"open OOS deviation {result['analyte']}", OpenDeviation(
        title=f"OOS {result['analyte']} on sample {result['sample_id']}",
        description=f"{result['analyte']} = {_shown(result)} is out of specification (result {result['result_id']}, "
                    f"order {result['order_id']}).",
        classification="major", initiator="gxplink-orchestrator", batch_id=batch, triggering_event_id=event_id,
        triggering_event_time=result["observed_at"]))
    return str(reply["data"].get("references", {}).get("deviation_id", "unknown"))


def _final(result: dict[str, Any] | None) -> bool:
    return result is not None and result["status"] in ("final", "corrected", "cancelled")


def _oos(result: dict[str, Any]) -> bool:
    return bool(result.get("out_of_specification")) and result["status"] in ("final", "corrected")


def _shown(result: dict[str, Any]) -> str:
    value = result.get("value", result.get("text_value"))
    return f"{value} {result.get('unit') or ''}".strip()


DEFINITION = WorkflowDefinition(
    "sample_to_result", 1, with_compensation(sample_to_result),
    triggers=(Trigger(SAMPLE_PULLED, key="data.sample.sample_id",
                      input={"batch_id": "data.sample.batch_id", "sample_type": "data.sample.sample_type",
                             "tests": "data.requested_tests"}),),
)
