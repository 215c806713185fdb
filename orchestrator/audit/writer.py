"""The audit writer: reads the four JetStream streams into the audit store, exactly once per message.

Started inside `gxplink up` (and the demo); each stream has its own durable pull consumer with
explicit acks, so a restarted writer resumes where the last one acknowledged and nothing is lost;
a message seen again (redelivery, replay, second writer) is skipped by its CloudEvents id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from types import TracebackType

import nats.errors
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model import subjects
from messaging.consumer import ConsumerSpec
from messaging.publisher import Publisher
from messaging.streams import AUDIT, COMMANDS, DEAD_LETTERS, EVENTS, TRANSFER
from orchestrator.audit.consumer import BatchAppendConsumer, ToDraft
from orchestrator.audit.ingest import dead_letter_draft, envelope_draft
from orchestrator.audit.keys import load_or_create_signer
from orchestrator.audit.schema import ensure_schema
from orchestrator.audit.store import CHECKPOINT_EVERY, AuditStore

log = logging.getLogger(__name__)

FEEDS: tuple[tuple[str, str, str, ToDraft], ...] = (
    ("events", EVENTS.name, subjects.ALL_EVENTS, envelope_draft),
    ("commands", COMMANDS.name, subjects.ALL_COMMANDS, envelope_draft),
    ("native", AUDIT.name, subjects.ALL_AUDIT, envelope_draft),
    ("dead-letters", DEAD_LETTERS.name, subjects.ALL_DEAD_LETTERS, dead_letter_draft),
    ("transfer", TRANSFER.name, subjects.ALL_TRANSFER, envelope_draft),  # what a transfer link carried, both ways
)
MAX_DELIVER = 10_000  # a database outage must not push audit input to the dead-letter stream
DURABLE_PREFIX = "gxplink-audit"


def consumer_spec(name: str, stream: str, subject: str, durable_prefix: str = DURABLE_PREFIX) -> ConsumerSpec:
    """The durable consumer of one feed (also what the writer's NATS permissions are cut to)."""
    return ConsumerSpec(durable=f"{durable_prefix}-{name}", stream=stream, filter_subject=subject,
                        max_deliver=MAX_DELIVER, ack_wait=60.0)


class AuditWriter:
    """`AuditWriter(js, engine, keys_dir)`; `await start()`, `await catch_up()`, `await stop()`.

    keys_dir is `<data-dir>/keys` (the checkpoint signing key is created there on first use);
    durable_prefix names the consumers (one writer group per trail); checkpoint_every signs the
    head every N records; batch is the fetch size, also the number of records per transaction.
    """

    def __init__(self, js: JetStreamContext, engine: AsyncEngine, keys_dir: Path, *,
                 publisher: Publisher | None = None, durable_prefix: str = DURABLE_PREFIX,
                 checkpoint_every: int = CHECKPOINT_EVERY, batch: int = 256) -> None:
        self.js, self.engine, self.keys_dir = js, engine, Path(keys_dir)
        self.publisher = publisher or Publisher(js)
        self.durable_prefix, self.checkpoint_every, self.batch = durable_prefix, checkpoint_every, batch
        self.store: AuditStore | None = None
        self.consumers: list[BatchAppendConsumer] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def alive(self) -> bool:
        """Every feed's consumer loop is running (they bind again by themselves after a NATS outage)."""
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    @property
    def appended(self) -> int:
        """Records this writer appended (duplicates skipped are not counted)."""
        return sum(c.appended for c in self.consumers)

    async def _prepare(self) -> AuditStore:
        if self.store is None:
            await ensure_schema(self.engine)
            signer = await asyncio.to_thread(load_or_create_signer, self.keys_dir)
            self.store = AuditStore(self.engine, signer, self.checkpoint_every)
            self.consumers = [
                BatchAppendConsumer(self.js, consumer_spec(name, stream, subject, self.durable_prefix), to_draft,
                                    self.store, publisher=self.publisher, batch=self.batch)
                for name, stream, subject, to_draft in FEEDS
            ]
        return self.store

    async def start(self) -> None:
        """Sign the head left by a previous run, create the consumers (errors surface here), run them."""
        await (await self._prepare()).checkpoint()
        self._stop.clear()
        subs = [await self._bind(consumer) for consumer in self.consumers]
        self._tasks = [asyncio.create_task(c.run(self._stop, bound=sub), name=f"audit-{c.spec.durable}")
                       for c, sub in zip(self.consumers, subs, strict=True)]

    @staticmethod
    async def _bind(consumer: BatchAppendConsumer) -> JetStreamContext.PullSubscription | None:
        """Bind now so that a refusal surfaces at start; NATS being away (a restart) is no refusal: the
        consumer's loop binds as soon as it is back."""
        try:
            return await consumer.subscribe()
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.errors.ConnectionClosedError,
                nats.errors.ConnectionReconnectingError, TimeoutError) as exc:
            log.warning("%s: cannot bind now (%s); its loop keeps trying", consumer.spec.durable, exc)
            return None

    async def catch_up(self, timeout: float = 60.0) -> int:
        """Drain what the streams hold now (started or not), sign a checkpoint; records appended by this call."""
        store = await self._prepare()
        before = self.appended
        for consumer in self.consumers:
            await consumer.drain(timeout)
        await store.checkpoint()
        return self.appended - before

    async def stop(self) -> None:
        """Stop consuming, then sign a checkpoint so the last records are covered too."""
        self._stop.set()
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
            for task in [*done, *pending]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._tasks = []
        if self.store is not None:
            try:
                await self.store.checkpoint()
            except Exception:
                log.exception("audit: final checkpoint failed (the next start signs the head)")

    async def __aenter__(self) -> AuditWriter:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
