"""A durable pull consumer with explicit acks, bounded redelivery and dead-lettering.

This is how every gxplink component reads JetStream: a message is acknowledged only after its
handler succeeded; a retryable failure is redelivered with backoff; after `max_deliver` attempts,
or at once for a permanent error, the message goes to the dead-letter stream with the reason and
is terminated, so a poison message can never loop hot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.errors import PermanentError
from messaging.publisher import Publisher

log = logging.getLogger(__name__)

Handler = Callable[[Msg], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    filter_subject: str
    max_deliver: int = 5
    ack_wait: float = 30.0
    backoff: tuple[float, ...] = field(default=(0.5, 2.0, 5.0, 15.0))
    max_ack_pending: int = 1000
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=self.filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            deliver_policy=self.deliver_policy,
        )

    def delay_after(self, deliveries: int) -> float:
        return self.backoff[min(deliveries, len(self.backoff)) - 1] if self.backoff else 0.0


class DurableConsumer:
    """Runs `handler` for every message of a durable consumer until `stop` is set."""

    def __init__(
        self, js: JetStreamContext, spec: ConsumerSpec, handler: Handler, *, publisher: Publisher, origin: str,
        batch: int = 64,
    ) -> None:
        self.js, self.spec, self.handler = js, spec, handler
        self.publisher, self.origin, self.batch = publisher, origin, batch
        self.handled = 0
        self.dead_lettered = 0

    async def run(self, stop: asyncio.Event) -> None:
        sub = await self.js.pull_subscribe(
            self.spec.filter_subject, durable=self.spec.durable, stream=self.spec.stream, config=self.spec.config()
        )
        try:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(self.batch, timeout=1.0)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue
                except nats.errors.ConnectionClosedError:
                    log.info("%s: connection closed for good; consumer stops", self.spec.durable)
                    return
                except nats.errors.Error as exc:
                    log.warning("%s: fetch failed (%s); retrying", self.spec.durable, exc)
                    await asyncio.sleep(0.5)
                    continue
                for msg in messages:
                    await self.handle(msg)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def handle(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered or 1
        try:
            await self.handler(msg)
        except PermanentError as exc:
            await self._dead_letter(msg, str(exc) or type(exc).__name__, deliveries)
        except Exception as exc:  # unexpected errors count as retryable, bounded by max_deliver
            reason = f"{type(exc).__name__}: {exc}"
            if deliveries >= self.spec.max_deliver:
                await self._dead_letter(msg, f"gave up after {deliveries} deliveries: {reason}", deliveries)
            else:
                log.info("%s: delivery %d failed (%s); redelivering", self.spec.durable, deliveries, reason)
                await msg.nak(delay=self.spec.delay_after(deliveries))
        else:
            await msg.ack()
            self.handled += 1

    async def _dead_letter(self, msg: Msg, reason: str, deliveries: int) -> None:
        letter = DeadLetter.of(
            self.origin, reason, msg.data, subject=msg.subject, deliveries=deliveries, headers=dict(msg.headers or {})
        )
        await send_to_dead_letters(self.publisher, letter)
        await msg.term()
        self.dead_lettered += 1
        log.warning("%s: dead-lettered %s: %s", self.spec.durable, msg.subject, reason)
