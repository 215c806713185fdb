"""Process excursion: a DeltaV alarm on a unit running a batch -> a QMS deviation with batch, unit,
parameter, value and time window; the MES batch goes on hold, and is released from hold once the
deviation is assessed (its investigation concluded: pending CAPA or closed)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

from canonical_model.base import TimeWindow
from canonical_model.commands.mes import AttachExternalReference, HoldBatch, ResumeBatch
from canonical_model.commands.qms import OpenDeviation
from orchestrator.engine.compensation import with_compensation
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import Trigger, WorkflowDefinition
from orchestrator.engine.effects import AwaitEvent, Decide, Effect, SendCommand
from orchestrator.workflows.types import ALARM_RAISED, DEVIATION_STATUS_CHANGED

WINDOW = timedelta(minutes=15)  # process data around the alarm that the investigation looks at


def excursion(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    alarm, batch = ctx.input, ctx.input.get("batch_id")
    if not batch:
        yield Decide("no batch", "logged_only", (f"{alarm['tag']} alarmed with no batch on {alarm['equipment_id']}",))
        return "no_batch"
    at = datetime.fromisoformat(str(alarm["time"]).replace("Z", "+00:00"))
    reply = yield SendCommand("open deviation", OpenDeviation(
        title=f"Process excursion on {alarm['equipment_id']}: {alarm['tag']}"[:200],
        description=f"{alarm['message']} (severity {alarm['severity']}) during batch {batch}.",
        classification="major" if int(alarm.get("severity") or 0) >= 500 else "minor",
        initiator="gxplink-orchestrator", batch_id=batch, equipment_id=alarm["equipment_id"],
        triggering_event_id=alarm["event_id"], triggering_event_time=at,
        time_window=TimeWindow(start=at - WINDOW, end=at + WINDOW)))
    deviation = str(reply["data"]["references"]["deviation_id"])
    yield SendCommand("hold batch", HoldBatch(batch_id=batch, reason=f"process excursion, deviation {deviation}",
                                              deviation_id=deviation))
    yield SendCommand("reference deviation", AttachExternalReference(
        batch_id=batch, system="qms", reference_type="deviation", reference_id=deviation))
    assessed = yield AwaitEvent("deviation assessed", (DEVIATION_STATUS_CHANGED,),
                                {"data.deviation_id": deviation, "data.status": ["pending_capa", "closed"]})
    status = assessed["data"]["status"]
    yield Decide("release hold", "resume", (f"deviation {deviation} is {status}",))
    yield SendCommand("resume batch", ResumeBatch(batch_id=batch, reason=f"deviation {deviation} assessed ({status})"))
    return f"resumed after {deviation}"


DEFINITION = WorkflowDefinition(
    "excursion", 1, with_compensation(excursion),
    triggers=(Trigger(ALARM_RAISED, key="data.alarm.alarm_id",
                      input={"batch_id": "data.alarm.batch_id", "equipment_id": "data.alarm.equipment_id",
                             "tag": "data.alarm.tag", "message": "data.alarm.message",
                             "severity": "data.alarm.severity", "time": "data.alarm.time", "event_id": "id"}),),
)
