"""Poison messages that kill their consumer: dead-lettered from the server's max-deliveries advisory.

A handler that raises is dead-lettered by `DurableConsumer` itself. A message that crashes the
whole process (or hangs it past every ack wait) never gets that far: the server redelivers it
`max_deliver` times, then stops and announces `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES`. This
watcher answers the advisory by copying the stored message, with the reason, into the dead-letter
stream, so nothing is silently skipped. The letter id derives from stream, sequence and consumer:
several watchers (several `gxplink up` on one cluster) store it once.
"""

from __future__ import annotations

import json
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import NotFoundError

from canonical_model.ids import deterministic_id
from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.publisher import Publisher

log = logging.getLogger(__name__)
ADVISORIES = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"
ORIGIN = "jetstream"  # the dead-letter subject gxp.dlq.jetstream: gave up on by the server, not a component


class PoisonWatcher:
    def __init__(self, nc: Client, publisher: Publisher) -> None:
        self.nc, self.publisher = nc, publisher
        self.dead_lettered = 0
        self._sub: Subscription | None = None

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(ADVISORIES, cb=self._on_advisory)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _on_advisory(self, msg: Msg) -> None:
        try:
            advisory = json.loads(msg.data)
            stream, consumer = str(advisory["stream"]), str(advisory["consumer"])
            seq, deliveries = int(advisory["stream_seq"]), int(advisory["deliveries"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable max-deliveries advisory on %s: %s", msg.subject, exc)
            return
        try:
            stored = await self.nc.jetstream().get_msg(stream, seq)
        except NotFoundError:
            log.warning("%s gave up on %s #%d, which is no longer stored", consumer, stream, seq)
            return
        reason = (f"consumer {consumer} gave up after {deliveries} deliveries without an ack or a failure: "
                  "its process crashed or hung on this message")
        letter = DeadLetter.of(ORIGIN, reason, stored.data or b"", id=deterministic_id("poison", stream, str(seq),
                                                                                   consumer),
                               subject=stored.subject, deliveries=deliveries,
                               headers={**dict(stored.headers or {}), "stream": stream, "consumer": consumer,
                                        "stream_seq": str(seq)})
        await send_to_dead_letters(self.publisher, letter)
        self.dead_lettered += 1
        log.warning("dead-lettered %s #%d (%s): %s", stream, seq, stored.subject, reason)
