"""Process excursion: a DeltaV alarm, or a critical process parameter outside its recipe range, on a
unit running a batch -> a QMS deviation with batch, unit, parameter, values and time window; the MES
batch goes on hold, and is released from hold once the deviation is assessed (its investigation
concluded: pending CAPA or closed).

v2 (current) adds the recipe-range trigger and keys an excursion by batch and control module, so the
alarm and the out-of-range values of one excursion open one deviation, whichever arrives first.
v1 (alarm only, one instance per alarm) stays registered so that its in-flight instances finish on it.
"""

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
from orchestrator.workflows.recipe_ranges import RecipeRanges
from orchestrator.workflows.types import ALARM_RAISED, DEVIATION_STATUS_CHANGED, PROCESS_VALUE_RECORDED

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
    return (yield from _hold_until_assessed(batch, str(reply["data"]["references"]["deviation_id"])))


def _hold_until_assessed(batch: str, deviation: str) -> Generator[Effect, Any, str]:
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


def excursion_v2(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    source, batch = ctx.input, ctx.input.get("batch_id")
    if not batch:
        yield Decide("no batch", "logged_only", (f"{source['tag']} alarmed with no batch on {source['equipment_id']}",))
        return "no_batch"
    at = datetime.fromisoformat(str(source["time"]).replace("Z", "+00:00"))
    if "parameter" in source:  # a recorded value outside the recipe range
        what = (f"{source['parameter']} {source['value']:g} {source['unit']} on {source['tag']}, outside the "
                f"recipe range of {source['recipe']}: {'; '.join(source['ranges'])}")
        yield Decide("assess excursion", "open deviation", (f"critical process parameter out of range: {what}",))
        title = f"CPP excursion on {source['equipment_id']}: {source['parameter']} {source['value']:g} {source['unit']}"
        description, classification = f"{what}, during batch {batch}.", "major"
    else:
        title = f"Process excursion on {source['equipment_id']}: {source['tag']}"
        description = f"{source['message']} (severity {source['severity']}) during batch {batch}."
        classification = "major" if int(source.get("severity") or 0) >= 500 else "minor"
    reply = yield SendCommand("open deviation", OpenDeviation(
        title=title[:200], description=description, classification=classification,
        initiator="gxplink-orchestrator", batch_id=batch, equipment_id=source["equipment_id"],
        triggering_event_id=source["event_id"], triggering_event_time=at,
        time_window=TimeWindow(start=at - WINDOW, end=at + WINDOW)))
    return (yield from _hold_until_assessed(batch, str(reply["data"]["references"]["deviation_id"])))


def control_module(tag: str) -> str:
    """'BR-101/TIC-101/PV' and its alarm 'BR-101/TIC-101/PV_ALM' are both control module 'BR-101/TIC-101'."""
    return tag.rsplit("/", 1)[0] if "/" in tag else tag


def _alarm_key(envelope: dict[str, Any]) -> str | None:
    alarm = (envelope.get("data") or {}).get("alarm") or {}
    if not alarm.get("batch_id"):  # no batch to hold: each alarm is logged on its own
        return str(alarm.get("alarm_id") or "") or None
    return f"{alarm['batch_id']}:{control_module(str(alarm.get('tag', '')))}"


def _value_key(envelope: dict[str, Any]) -> str | None:
    data = envelope.get("data") or {}
    if not data.get("batch_id"):
        return None
    return f"{data['batch_id']}:{control_module(str((data.get('value') or {}).get('tag', '')))}"


ALARM_INPUT = {"batch_id": "data.alarm.batch_id", "equipment_id": "data.alarm.equipment_id", "tag": "data.alarm.tag",
               "message": "data.alarm.message", "severity": "data.alarm.severity", "time": "data.alarm.time",
               "event_id": "id"}
DEFINITION_V1 = WorkflowDefinition(
    "excursion", 1, with_compensation(excursion),
    triggers=(Trigger(ALARM_RAISED, key="data.alarm.alarm_id", input=ALARM_INPUT),),
)
DEFINITION = WorkflowDefinition(
    "excursion", 2, with_compensation(excursion_v2),
    triggers=(
        Trigger(ALARM_RAISED, key=_alarm_key, input=ALARM_INPUT),
        Trigger(PROCESS_VALUE_RECORDED, key=_value_key, guard=RecipeRanges(),
                input={"batch_id": "data.batch_id", "equipment_id": "data.value.equipment_id",
                       "tag": "data.value.tag", "time": "data.value.source_time", "event_id": "id"}),
    ),
)
