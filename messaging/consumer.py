"""A durable pull consumer with explicit acks, bounded redelivery and dead-lettering.

This is how every gxplink component reads JetStream: a message is acknowledged only after its
handler succeeded; a retryable failure is redelivered with backoff; after `max_deliver` attempts,
or at once for a permanent error, the message goes to the dead-letter stream with the reason and
is terminated, so a poison message can never loop hot. A handler that hangs is cut off after the
ack wait (the server would redeliver it by then anyway) and counts as a failed delivery; one that
crashes the whole process each time is caught by `messaging.poison` from the server's advisory.
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
from nats.js.errors import NotFoundError

from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.errors import PermanentError
from messaging.publisher import Publisher

log = logging.getLogger(__name__)

Handler = Callable[[Msg], Awaitable[None]]
REBIND_SECONDS = 1.0


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

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        """Bind to the durable consumer, creating it when it does not exist (first start, or lost)."""
        spec = self.spec
        return await self.js.pull_subscribe(spec.filter_subject, durable=spec.durable, stream=spec.stream,
                                            config=spec.config())

    async def run(self, stop: asyncio.Event, bound: JetStreamContext.PullSubscription | None = None) -> None:
        """Consume until `stop`; binding is retried while the server is away, and redone if the consumer goes.

        `bound`: a subscription made already (a caller that wants binding errors at its own start).
        """
        while not stop.is_set():
            try:
                sub, bound = bound or await self.subscribe(), None
            except (nats.errors.Error, TimeoutError) as exc:  # server restarting, stream not there yet
                log.warning("%s: cannot bind the consumer (%s); retrying", self.spec.durable, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), REBIND_SECONDS)
                continue
            try:
                if not await self.run_on(sub, stop):
                    return
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def run_on(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> bool:
        """Fetch and handle until `stop` (False) or until the consumer must be bound again (True)."""
        while not stop.is_set():
            try:
                messages = await sub.fetch(self.batch, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except nats.errors.ConnectionClosedError:
                log.info("%s: connection closed for good; consumer stops", self.spec.durable)
                return False
            except nats.errors.Error as exc:
                if await self._gone(sub):  # lost with a server's store, or deleted: bind again, which recreates it
                    log.warning("%s: the consumer is gone; binding it again", self.spec.durable)
                    return True
                log.warning("%s: fetch failed (%s); retrying", self.spec.durable, exc)
                await asyncio.sleep(0.5)
                continue
            await self.handle_batch(messages)
        return False

    @staticmethod
    async def _gone(sub: JetStreamContext.PullSubscription) -> bool:
        try:
            await sub.consumer_info()
        except NotFoundError:
            return True
        except (nats.errors.Error, TimeoutError):
            return False  # the server is away: not known to be gone
        return False

    async def handle_batch(self, messages: list[Msg]) -> None:
        for msg in messages:
            await self.handle(msg)

    async def handle(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered or 1
        deadline = asyncio.timeout(self.spec.ack_wait)  # no task per message, unlike wait_for
        try:
            async with deadline:
                await self.handler(msg)
        except TimeoutError as exc:
            reason = f"the handler did not finish within the ack wait ({self.spec.ack_wait:g} s)" \
                if deadline.expired() else f"TimeoutError: {exc}"  # else a timeout of the handler's own
            await self._failed(msg, reason, deliveries)
        except PermanentError as exc:
            await self._dead_letter(msg, str(exc) or type(exc).__name__, deliveries)
        except Exception as exc:  # unexpected errors count as retryable, bounded by max_deliver
            await self._failed(msg, f"{type(exc).__name__}: {exc}", deliveries)
        else:
            await msg.ack()
            self.handled += 1

    async def _failed(self, msg: Msg, reason: str, deliveries: int) -> None:
        if deliveries >= self.spec.max_deliver:
            await self._dead_letter(msg, f"gave up after {deliveries} deliveries: {reason}", deliveries)
        else:
            log.info("%s: delivery %d failed (%s); redelivering", self.spec.durable, deliveries, reason)
            await msg.nak(delay=self.spec.delay_after(deliveries))

    async def _dead_letter(self, msg: Msg, reason: str, deliveries: int) -> None:
        letter = DeadLetter.of(
            self.origin, reason, msg.data, subject=msg.subject, deliveries=deliveries, headers=dict(msg.headers or {})
        )
        await send_to_dead_letters(self.publisher, letter)
        await msg.term()
        self.dead_lettered += 1
        log.warning("%s: dead-lettered %s: %s", self.spec.durable, msg.subject, reason)
