"""The orchestrator process: takes events into its inbox, starts and advances workflow instances.

Every transition is recorded before its effect is published; instances are leased, so several
orchestrator processes share the work and no instance is advanced by two at once. A killed
orchestrator resumes from the history: replay finds where each instance stands, re-issues what
was recorded but maybe not published (same ids, so nothing happens twice), and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from canonical_model.ids import deterministic_id, new_id
from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.publisher import Publisher
from messaging.streams import EVENTS
from orchestrator.engine import events as workflow_events
from orchestrator.engine.compensation import Compensated
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import WorkflowRegistry
from orchestrator.engine.effects import Decide
from orchestrator.engine.matching import dig, matches
from orchestrator.engine.replay import ReplayDivergence, kind_of, replay
from orchestrator.engine.steps import issued_payload, outcome_of, perform
from orchestrator.engine.store import WorkflowStore

log = logging.getLogger(__name__)
MIN_GAP = 0.01  # seconds between two passes at the least
INBOX = ConsumerSpec(durable="orchestrator_inbox", stream=EVENTS.name, filter_subject="gxp.evt.>", max_deliver=10,
                     ack_wait=30, max_ack_pending=2000)


class Orchestrator:
    def __init__(self, registry: WorkflowRegistry, store: WorkflowStore, js: JetStreamContext,
                 publisher: Publisher, *, owner: str | None = None, poll_seconds: float = 0.2,
                 lease_seconds: float = 15.0, trigger_horizon_seconds: float = 86_400.0) -> None:
        self.registry, self.store, self.js, self.publisher = registry, store, js, publisher
        self.owner = owner or f"orchestrator-{new_id()[:8]}"
        self.poll, self.lease, self.trigger_horizon = poll_seconds, lease_seconds, trigger_horizon_seconds
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()  # something arrived that may let an instance move: do not wait for the poll
        self._tasks: list[asyncio.Task[None]] = []
        self._performed: set[tuple[str, int]] = set()  # effects this process has (re)published

    async def start(self) -> None:
        await self.store.create_schema()
        self._stop.clear()
        inbox = DurableConsumer(self.js, INBOX, self.take_event, publisher=self.publisher, origin="orchestrator",
                                batch=256)
        self._tasks = [asyncio.create_task(inbox.run(self._stop), name="orchestrator-inbox"),
                       asyncio.create_task(self._loop(), name="orchestrator-loop")]

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        self._tasks = []
        with contextlib.suppress(Exception):
            await self.store.release(self.owner)

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    async def take_event(self, msg: Msg) -> None:
        """Inbox: keep the event (once) and start the workflows it triggers.

        History (events that happened longer ago than the trigger horizon, e.g. a system's records
        read at first connection) is kept for the trail but starts no workflow.
        """
        envelope = json.loads(msg.data)
        await self.store.add_to_inbox(envelope)
        self._wake.set()
        if _age_seconds(envelope) > self.trigger_horizon:
            return
        for definition, trigger in self.registry.triggered_by(envelope.get("type", "")):
            if not matches(envelope, trigger.match):
                continue
            key = trigger.key_of(envelope)
            if not key:
                continue
            found = await trigger.guard(envelope, self.store) if trigger.guard is not None else {}
            if found is None:
                continue
            if definition.one_per_key and await self.store.instances_for_key(definition.name, key):
                continue
            instance_id = deterministic_id("workflow", definition.name,
                                           key if definition.one_per_key else envelope["id"])
            values = {name: dig(envelope, path) for name, path in trigger.input.items()} | found
            await self.start_instance(definition.name, key, values, trigger_event=envelope["id"],
                                      instance_id=instance_id, traceparent=envelope.get("traceparent"))

    async def start_instance(self, workflow: str, business_key: str, values: dict[str, Any],
                             trigger_event: str | None = None, instance_id: str | None = None,
                             traceparent: str | None = None) -> str:
        definition = self.registry.latest(workflow)
        instance_id = instance_id or deterministic_id("workflow", workflow, business_key, new_id())
        created = await self.store.create_instance(id=instance_id, workflow=workflow, version=definition.version,
                                                   business_key=business_key, input=values,
                                                   trigger_event=trigger_event, traceparent=traceparent)
        instance = await self.store.instance(instance_id)
        if created and instance is not None:
            await workflow_events.started(self.publisher, instance)
        self._wake.set()
        return instance_id

    async def _loop(self) -> None:
        """A pass over the claimable instances whenever an event arrived, else every `poll` seconds.

        Replies and events wake the loop, so a workflow moves on within milliseconds; the poll is the
        fallback for timers, leases and signatures given in another process. Passes are at least
        MIN_GAP apart, so a flood of process values cannot keep the database busy with claims.
        """
        while not self._stop.is_set():
            self._wake.clear()
            try:
                for instance in await self.store.claim(self.owner, self.lease):
                    await self.advance(instance)
            except Exception:  # a database or NATS hiccup: log, wait, go on (state is in the history)
                log.exception("orchestrator tick failed")
            await asyncio.sleep(MIN_GAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    def wake(self) -> None:
        """Ask for a pass now (e.g. after a signature was stored in this process)."""
        self._wake.set()

    async def advance(self, instance: dict[str, Any]) -> None:
        """Move one instance as far as it can go now."""
        definition = self.registry.get(instance["workflow"], instance["version"])
        for _ in range(1000):  # bounded: a workflow cannot spin the loop forever
            history, issued = await self.store.history(instance["id"])
            ctx = WorkflowContext(instance["id"], instance["workflow"], instance["version"],
                                  instance["business_key"], dict(instance["input"]), instance["started_at"])
            try:
                position = replay(definition, ctx, history)
            except ReplayDivergence as exc:
                log.error("workflow %s diverged from its history: %s", instance["id"], exc)
                await self.store.finish(instance["id"], "failed", f"replay divergence: {exc}")
                return
            if position.finished:
                await self._finish(instance, position.result, position.error)
                return
            effect, seq = position.effect, position.seq
            assert effect is not None
            if position.issued is None:
                payload = issued_payload(instance, seq, effect)
                await self.store.record(instance["id"], seq, "issued", effect.step, kind_of(effect), payload)
                await perform(self.store, self.publisher, instance, seq, effect, payload)
                self._performed.add((instance["id"], seq))
                continue
            outcome = await outcome_of(self.store, instance, position.issued, effect, issued[seq])
            if outcome is None:
                await self._reissue_if_needed(instance, seq, effect, issued[seq])
                return
            await self.store.record(instance["id"], seq, "resolved", effect.step, kind_of(effect), outcome)
            await workflow_events.step_completed(self.publisher, instance, seq, effect.step, _summary(effect, outcome))

    async def _reissue_if_needed(self, instance: dict[str, Any], seq: int, effect: Any,
                                 payload: dict[str, Any]) -> None:
        """Recorded but perhaps never published (a crash in between, or another orchestrator's lease): publish
        once more from this process; the ids are the same, so the system sees it at most once."""
        if (instance["id"], seq) not in self._performed:
            await perform(self.store, self.publisher, instance, seq, effect, payload)
            self._performed.add((instance["id"], seq))

    async def _finish(self, instance: dict[str, Any], result: str | None, error: BaseException | None) -> None:
        status = "completed" if error is None else "failed"
        await workflow_events.finished(self.publisher, instance, result, error, isinstance(error, Compensated))
        await self.store.finish(instance["id"], status, result if error is None else str(error))


def _age_seconds(envelope: dict[str, Any]) -> float:
    when = envelope.get("sourcetime") or envelope.get("time")
    try:
        moment = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (datetime.now(UTC) - moment).total_seconds()


def _summary(effect: Any, outcome: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a step: the decision and reasons, the event or reply it took."""
    if isinstance(effect, Decide):
        return {"decision": effect.decision, "reasons": list(effect.reasons)}
    if "error" in outcome:
        return {"outcome": outcome.get("kind", "error"), "detail": str(outcome["error"].get("data", {}).get("detail"))}
    value = outcome.get("value")
    if isinstance(value, dict) and "id" in value:
        return {"outcome": "ok", "event_id": value["id"], "event_type": value.get("type")}
    return {"outcome": "ok"}
