"""Workflow progress as canonical events, so the audit trail records every transition and decision."""

from __future__ import annotations

from typing import Any

from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import WorkflowCompleted, WorkflowFailed, WorkflowStarted, WorkflowStepCompleted
from canonical_model.ids import deterministic_id
from canonical_model.messages import Message
from messaging.publisher import Publisher
from orchestrator.engine.store import utcnow


async def publish(publisher: Publisher, instance: dict[str, Any], label: str, data: Message,
                  actor: str = "service:orchestrator") -> None:
    envelope = Envelope.wrap(data, id=deterministic_id("workflow-event", instance["id"], label),
                             source=f"/gxplink/orchestrator/{instance['workflow']}", actor=actor,
                             sourcesystem="gxplink", subject=f"workflow/{instance['id']}",
                             correlationid=instance["business_key"], causationid=instance.get("trigger_event"))
    await publisher.publish(envelope)


def _common(instance: dict[str, Any]) -> dict[str, Any]:
    return {"workflow_id": instance["id"], "workflow_type": instance["workflow"],
            "workflow_version": instance["version"]}


async def started(publisher: Publisher, instance: dict[str, Any]) -> None:
    await publish(publisher, instance, "started", WorkflowStarted(
        **_common(instance), business_key=instance["business_key"], started_at=instance["started_at"],
        input=instance["input"]))


async def step_completed(publisher: Publisher, instance: dict[str, Any], seq: int, step: str,
                         output: dict[str, Any]) -> None:
    await publish(publisher, instance, f"step-{seq}", WorkflowStepCompleted(
        **_common(instance), step=step, completed_at=utcnow(), output=output))


async def finished(publisher: Publisher, instance: dict[str, Any], result: str | None,
                   error: BaseException | None, compensated: bool) -> None:
    if error is None:
        await publish(publisher, instance, "completed", WorkflowCompleted(
            **_common(instance), completed_at=utcnow(), outcome=result or None))
    else:
        await publish(publisher, instance, "failed", WorkflowFailed(
            **_common(instance), error_class="permanent", error=str(error) or type(error).__name__,
            compensated=compensated, failed_at=utcnow()))
