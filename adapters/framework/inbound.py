"""Inbound: source message -> mapping -> canonical events, acknowledged by JetStream, or a dead letter.

The caller (a listener, a subscription, a change-feed poller) answers the legacy system and moves
its cursor only after `accept` returned: events are durably in JetStream, or the input is parked
in the dead-letter stream with the reason, the mapping and where it came from. Event ids derive
from the source record, so a redelivered message is acknowledged again but stored once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.framework.metrics import AdapterMetrics
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.publisher import Publisher, headers_for
from messaging.tracing import child_traceparent


@dataclass(frozen=True)
class Accepted:
    events: tuple[Envelope, ...]  # type: ignore[type-arg]
    duplicates: int


@dataclass(frozen=True)
class Rejected:
    reason: str
    path: str
    mapping: str | None
    dead_letter_id: str


class InboundPipeline:
    def __init__(self, system: str, publisher: Publisher, catalog: Catalog, metrics: AdapterMetrics) -> None:
        self.system, self.publisher, self.catalog, self.metrics = system, publisher, catalog, metrics
        self.source = f"/gxplink/adapters/{system}"
        self.actor = f"service:adapter-{system}"

    async def accept(self, raw: bytes, *, origin: str, mapping: str | None = None,
                     traceparent: str | None = None, subject: str | None = None) -> Accepted | Rejected:
        """Translate and publish; on a translation error, dead-letter the raw input (never raises for bad input).

        `subject` overrides where the events go (native audit entries travel on gxp.audit.<system>).
        """
        started = time.perf_counter()
        self.metrics.messages_in.inc()
        received = datetime.now(UTC)
        try:
            chosen = self.catalog.get(mapping) if mapping else self.catalog.select(self.system, raw)
            translations = chosen.translate(raw, received)  # type: ignore[union-attr]
        except (TranslationError, KeyError, AttributeError) as exc:
            return await self._reject(raw, origin, exc, mapping)
        events = [translation.envelope(source=self.source, system=self.system, actor=self.actor, received=received)
                  .model_copy(update={"traceparent": child_traceparent(traceparent, self.system)})
                  for translation in translations]
        # The events of one input (e.g. the results of one ORU^R01) are published together, in order on
        # this connection, and the input counts as taken only once JetStream acknowledged them all.
        acks = await asyncio.gather(*(self.publisher.publish_bytes(subject or e.nats_subject, e.to_json(),
                                                                   headers_for(e)) for e in events))
        duplicates = sum(bool(ack.duplicate) for ack in acks)
        self.metrics.events_out.inc(len(events) - duplicates)
        self.metrics.duplicates.inc(duplicates)
        self.metrics.latency.observe(time.perf_counter() - started)
        return Accepted(tuple(events), duplicates)

    async def _reject(self, raw: bytes, origin: str, exc: Exception, mapping: str | None) -> Rejected:
        path = exc.path if isinstance(exc, TranslationError) else ""
        ref = exc.mapping if isinstance(exc, TranslationError) else mapping
        reason = exc.reason if isinstance(exc, TranslationError) else str(exc)
        where = f"{path}: " if path else ""
        letter = DeadLetter.of(self.system, f"{where}{reason}", raw, source=origin,
                               headers={"mapping": ref or "", "adapter": self.source})
        await send_to_dead_letters(self.publisher, letter)
        self.metrics.dead_letters.inc()
        return Rejected(reason, path, ref, letter.id)
