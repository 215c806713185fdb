"""Issuing an effect (after it was recorded) and resolving it when its outcome is there.

Commands get the id `deterministic_id(instance, seq)`: re-issued after a crash, they are the same
message to JetStream (dropped as a duplicate) and to the adapter (answered from its memory).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from canonical_model.envelope import Envelope
from canonical_model.ids import deterministic_id
from messaging.publisher import Publisher
from messaging.tracing import child_traceparent
from orchestrator.engine.effects import AllOf, AwaitEvent, Collect, Decide, Effect, HumanTask, SendCommand, Sleep
from orchestrator.engine.matching import matches
from orchestrator.engine.replay import Recorded
from orchestrator.engine.store import WorkflowStore, utcnow

ACTOR = "service:orchestrator"


def command_envelope(instance: dict[str, Any], seq: int | str, effect: SendCommand) -> Envelope[Any]:
    """`seq` is the step's position, or `<position>.<branch>` for a branch of an AllOf."""
    return Envelope.wrap(effect.command, id=deterministic_id("workflow", instance["id"], str(seq)),
                         source=f"/gxplink/orchestrator/{instance['workflow']}", actor=ACTOR, sourcesystem="gxplink",
                         subject=f"workflow/{instance['id']}", correlationid=instance["business_key"],
                         causationid=instance.get("trigger_event"),
                         traceparent=child_traceparent(instance.get("traceparent"), f"{instance['workflow']}.{seq}"))


def task_id(instance_id: str, seq: int | str) -> str:
    return deterministic_id("task", instance_id, str(seq))


def record_hash(record: dict[str, Any]) -> str:
    """sha256 of the signed record's canonical JSON: the §11.70 link between signature and record."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def issued_payload(instance: dict[str, Any], seq: int | str, effect: Effect) -> dict[str, Any]:
    if isinstance(effect, AllOf):
        return {"branches": [issued_payload(instance, f"{seq}.{i}", b) for i, b in enumerate(effect.branches)]}
    if isinstance(effect, SendCommand):
        return {"envelope": command_envelope(instance, seq, effect).model_dump(mode="json", exclude_none=True)}
    if isinstance(effect, AwaitEvent):
        return {"types": list(effect.types), "match": effect.match, "timeout": effect.timeout_seconds}
    if isinstance(effect, Collect):
        return {"types": list(effect.types), "match": effect.match}
    if isinstance(effect, Sleep):
        return {"due": (utcnow() + timedelta(seconds=effect.seconds)).isoformat()}
    if isinstance(effect, HumanTask):
        return {"task_id": task_id(instance["id"], seq), "title": effect.title,
                "record_hash": record_hash(effect.record)}
    return {"decision": effect.decision, "reasons": list(effect.reasons)}


async def perform(store: WorkflowStore, publisher: Publisher, instance: dict[str, Any], seq: int | str,
                  effect: Effect, payload: dict[str, Any]) -> None:
    """Make an issued effect happen; safe to repeat (same ids)."""
    if isinstance(effect, AllOf):
        for i, (branch, branch_payload) in enumerate(zip(effect.branches, payload["branches"], strict=True)):
            await perform(store, publisher, instance, f"{seq}.{i}", branch, branch_payload)
    elif isinstance(effect, SendCommand):
        envelope = command_envelope(instance, seq, effect)
        await publisher.publish(envelope)
    elif isinstance(effect, HumanTask):
        await store.add_task(id=payload["task_id"], instance_id=instance["id"], seq=int(str(seq).split(".")[0]),
                             step=effect.step,
                             title=effect.title, role=effect.role, record_type=effect.record_type,
                             record_id=effect.record_id, record_hash=payload["record_hash"],
                             meanings=list(effect.meanings))


async def outcome_of(store: WorkflowStore, instance: dict[str, Any], recorded: Recorded, effect: Effect,
                     payload: dict[str, Any], taken: set[str] | None = None) -> dict[str, Any] | None:
    """The outcome of a waiting effect, once there is one. `taken`: events sibling branches already took."""
    if isinstance(effect, AllOf):
        return await _all_of(store, instance, recorded, effect, payload)
    if isinstance(effect, Decide):
        return {"value": {"decision": effect.decision, "reasons": list(effect.reasons)}}
    if isinstance(effect, SendCommand):
        command_id = payload["envelope"]["id"]
        for reply in await store.replies_to(command_id):
            if reply["type"].endswith(".command_succeeded.v1"):
                return {"value": reply, "event_id": reply["id"]}
            if reply["type"].endswith(".command_failed.v1"):
                return {"error": reply, "kind": "rejected", "event_id": reply["id"]}
        return _timeout(recorded, effect.timeout_seconds)
    if isinstance(effect, AwaitEvent):
        consumed = await store.consumed_events(instance["id"]) | (taken or set())
        correlation = effect.match.get("correlationid")
        for event in await store.events_of_types(effect.types, correlation if isinstance(correlation, str) else None):
            if event["id"] not in consumed and matches(event, effect.match):
                return {"value": event, "event_id": event["id"]}
        return _timeout(recorded, effect.timeout_seconds)
    if isinstance(effect, Collect):
        correlation = effect.match.get("correlationid")
        found = await store.events_of_types(effect.types, correlation if isinstance(correlation, str) else None)
        return {"value": [e for e in found if matches(e, effect.match)]}
    if isinstance(effect, Sleep):
        return {"value": None} if utcnow().isoformat() >= payload["due"] else None
    signature = await store.signature(payload["task_id"])
    return {"value": signature} if signature else None


async def _all_of(store: WorkflowStore, instance: dict[str, Any], recorded: Recorded, effect: AllOf,
                  payload: dict[str, Any]) -> dict[str, Any] | None:
    outcomes: list[Any] = []
    taken: set[str] = set()
    for branch, branch_payload in zip(effect.branches, payload["branches"], strict=True):
        outcome = await outcome_of(store, instance, recorded, branch, branch_payload, taken)
        if outcome is not None and "error" in outcome:
            return {**outcome, "event_ids": sorted(taken)}
        if outcome is None:
            return None
        if outcome.get("event_id"):
            taken.add(outcome["event_id"])
        outcomes.append(outcome["value"])
    return {"value": outcomes, "event_ids": sorted(taken)}


def _timeout(recorded: Recorded, seconds: float | None) -> dict[str, Any] | None:
    if seconds is not None and utcnow() > recorded.issued_at + timedelta(seconds=seconds):
        return {"error": {"data": {"detail": "timed out"}}, "kind": "timeout"}
    return None
