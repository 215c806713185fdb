"""A durable consumer that appends each fetched batch in one transaction, acking only after commit.

One commit per batch instead of per message keeps catch-up fast on SQLite (every commit is an
fsync); if the batch cannot be appended, each message takes the ordinary `DurableConsumer` path
(retry with backoff, or dead-letter a permanent error), so one bad message never blocks the rest.
A lost ack only causes a redelivery, which the store skips by record id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.publisher import Publisher
from orchestrator.audit.draft import Draft
from orchestrator.audit.store import AuditStore

log = logging.getLogger(__name__)

ToDraft = Callable[[Msg], Draft]


class BatchAppendConsumer(DurableConsumer):
    def __init__(self, js: JetStreamContext, spec: ConsumerSpec, to_draft: ToDraft, store: AuditStore, *,
                 publisher: Publisher, batch: int = 256) -> None:
        super().__init__(js, spec, self._append_one, publisher=publisher, origin="audit", batch=batch)
        self.to_draft, self.store = to_draft, store
        self.appended = 0

    async def pull(self, sub: JetStreamContext.PullSubscription, timeout: float) -> int:
        """Fetch and handle one batch; how many messages came (`drain`'s step; `run` is the base class's)."""
        try:
            messages = await sub.fetch(self.batch, timeout=timeout)
        except (nats.errors.TimeoutError, TimeoutError):
            return 0
        except nats.errors.Error as exc:
            log.warning("%s: fetch failed (%s); retrying", self.spec.durable, exc)
            await asyncio.sleep(0.5)
            return 0
        await self.handle_batch(messages)
        return len(messages)

    async def handle_batch(self, messages: list[Msg]) -> None:
        drafted: list[tuple[Msg, Draft]] = []
        rest: list[Msg] = []
        for msg in messages:
            try:
                drafted.append((msg, self.to_draft(msg)))
            except Exception:
                rest.append(msg)  # the one-by-one path classifies and dead-letters it
        if drafted:
            try:
                result = await self.store.append([draft for _, draft in drafted])
            except Exception as exc:
                log.warning("%s: batch of %d not appended (%s); one by one", self.spec.durable, len(drafted), exc)
                rest = [msg for msg, _ in drafted] + rest
            else:
                self.appended += len(result.seqs)
                for msg, _ in drafted:
                    with contextlib.suppress(Exception):  # a lost ack is a redelivery the store skips
                        await msg.ack()
                    self.handled += 1
        for msg in rest:
            await self.handle(msg)

    async def _append_one(self, msg: Msg) -> None:
        result = await self.store.append([self.to_draft(msg)])
        self.appended += len(result.seqs)

    async def drain(self, timeout: float) -> None:
        """Handle everything stored in the stream up to now; returns once nothing is pending or unacked."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        target = (await self.js.stream_info(self.spec.stream)).state.last_seq
        sub = await self.subscribe()
        try:
            while True:
                info = await sub.consumer_info()
                delivered = info.delivered.stream_seq if info.delivered else 0
                reached = info.num_pending == 0 or (delivered or 0) >= target
                if reached and not info.num_ack_pending:
                    return
                if loop.time() > deadline:
                    raise TimeoutError(f"{self.spec.durable}: {info.num_pending} pending and "
                                       f"{info.num_ack_pending} unacknowledged after {timeout:.0f}s")
                if not await self.pull(sub, timeout=0.5) and info.num_ack_pending:
                    await asyncio.sleep(0.1)  # held by another fetcher, or waiting for a redelivery
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
