"""Batch release: the MES reports a batch complete -> every sample's results are in -> no deviation
on the batch is open -> QA approves with an electronic signature -> the ERP releases the lot -> the
MES batch record references the disposition. Otherwise the lot is rejected, with the reasons.
If the ERP refuses the release, the lot is blocked (compensation) and the instance fails."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from canonical_model.commands.erp import ReleaseLot, SetLotDisposition
from canonical_model.commands.mes import AttachExternalReference
from orchestrator.engine.compensation import with_compensation
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import Trigger, WorkflowDefinition
from orchestrator.engine.effects import AllOf, AwaitEvent, Collect, Decide, Effect, HumanTask, SendCommand
from orchestrator.workflows.types import (
    BATCH_CREATED,
    BATCH_STATE_CHANGED,
    CLOSED,
    DEVIATION_OPENED,
    DEVIATION_STATUS_CHANGED,
    SAMPLE_PULLED,
    WORKFLOW_ENDED,
)


def batch_release(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    """Version 2: the samples' results are awaited as parallel branches (one step)."""
    return (yield from _release(ctx, parallel=True))


def batch_release_v1(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    """Version 1, kept so instances started on it finish on it: one await per sample, in turn."""
    return (yield from _release(ctx, parallel=False))


def _release(ctx: WorkflowContext, parallel: bool) -> Generator[Effect, Any, str]:
    batch = ctx.business_key
    created = yield Collect("batch record", (BATCH_CREATED,), {"correlationid": batch})
    lot = next((c["data"]["batch"].get("lot_id") for c in created if c["data"]["batch"].get("lot_id")), f"L-{batch}")
    samples = yield Collect("samples", (SAMPLE_PULLED,), {"correlationid": batch})
    sample_ids = sorted({s["data"]["sample"]["sample_id"] for s in samples})
    waits = [AwaitEvent(f"results of {sample}", WORKFLOW_ENDED,
                        {"correlationid": sample, "data.workflow_type": "sample_to_result"}) for sample in sample_ids]
    if parallel and waits:
        ended_all = yield AllOf("results of every sample", tuple(waits))
    else:
        ended_all = []
        for wait in waits:
            ended_all.append((yield wait))
    outcomes = {sample: ended["data"].get("outcome") or "failed" for sample, ended in zip(sample_ids, ended_all,
                                                                                           strict=True)}
    opened = yield Collect("deviations", (DEVIATION_OPENED,), {"data.deviation.batch_id": batch})
    changes = yield Collect("deviation changes", (DEVIATION_STATUS_CHANGED,), {})
    for deviation in sorted(_open(opened, changes)):
        yield AwaitEvent(f"closure of {deviation}", (DEVIATION_STATUS_CHANGED,),
                         {"data.deviation_id": deviation, "data.status": CLOSED})
    reasons = tuple(f"sample {s}: {o}" for s, o in sorted(outcomes.items())) + \
        tuple(f"deviation {d['data']['deviation']['deviation_id']} closed" for d in opened)
    if any(o != "in_specification" for o in outcomes.values()):
        yield Decide("assess batch", "reject", reasons)
        yield SendCommand("reject lot", SetLotDisposition(lot_id=lot, disposition="reject",
                                                          reason="; ".join(reasons)[:1000]))
        return "rejected"
    yield Decide("assess batch", "release", reasons or ("no samples and no deviations",))
    signature = yield HumanTask("QA approval", f"Approve lot {lot} of batch {batch} for release", "lot", lot,
                                {"batch_id": batch, "lot_id": lot, "samples": outcomes, "reasons": list(reasons)},
                                ("approved", "rejected"))
    if signature["meaning"] == "rejected":
        yield SendCommand("reject lot", SetLotDisposition(lot_id=lot, disposition="reject",
                                                          reason=f"rejected by {signature['signer_name']}",
                                                          signature_id=signature["signature_id"]))
        return "rejected"
    yield SendCommand("release lot", ReleaseLot(lot_id=lot, reason=f"approved for release by "
                                                                   f"{signature['signer_name']}",
                                                signature_id=signature["signature_id"]),
                      compensation=SendCommand("block lot", SetLotDisposition(
                          lot_id=lot, disposition="block", reason="release could not be completed")))
    yield SendCommand("record disposition", AttachExternalReference(batch_id=batch, system="erp", reference_type="lot",
                                                                   reference_id=lot))
    return "released"


def _open(opened: list[dict[str, Any]], changes: list[dict[str, Any]]) -> set[str]:
    status = {d["data"]["deviation"]["deviation_id"]: d["data"]["deviation"]["status"] for d in opened}
    for change in changes:
        if change["data"]["deviation_id"] in status:
            status[change["data"]["deviation_id"]] = change["data"]["status"]
    return {d for d, s in status.items() if s not in CLOSED}


TRIGGERS = (Trigger(BATCH_STATE_CHANGED, key="data.batch_id", match={"data.state": "complete"}),)
DEFINITION_V1 = WorkflowDefinition("batch_release", 1, with_compensation(batch_release_v1), triggers=TRIGGERS)
DEFINITION = WorkflowDefinition("batch_release", 2, with_compensation(batch_release), triggers=TRIGGERS)
