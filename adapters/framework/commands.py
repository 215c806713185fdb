"""Outbound: canonical commands from `gxp.cmd.<system>.>` executed against the legacy system.

A durable consumer with explicit acks and bounded redelivery feeds `execute`. Transient faults are
retried (tenacity) inside one delivery and, beyond that, by redelivery; permanent ones are answered
at once. Every command gets exactly one reply event (`command_succeeded` / `command_failed`) whose
`causationid` is the command id; the reply id derives from the command id, and executed commands
are remembered by id, so a redelivered command never acts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.aio.msg import Msg
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.framework.metrics import AdapterMetrics
from canonical_model.envelope import Envelope, EnvelopeError
from canonical_model.ids import deterministic_id
from canonical_model.registry import parse
from canonical_model.replies import failed_type, succeeded_type
from messaging.consumer import ConsumerSpec
from messaging.errors import PermanentError, RetryableError
from messaging.publisher import Publisher
from messaging.streams import COMMANDS
from messaging.tracing import child_traceparent
from storage.idempotency import IdempotencyStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a command handler reports back; goes into the success reply."""

    detail: str | None = None
    references: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Envelope[Any]], Awaitable[Outcome]]


RETRY_BACKOFF = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0)
"""Waits between deliveries of a command its system could not take: close to four minutes in all,
so a legacy system that is down for a few minutes or flapping gets the command late, not a
failure, and the answer still comes inside a workflow's default five-minute reply timeout."""
MAX_DELIVER = len(RETRY_BACKOFF) + 1


def command_consumer(system: str, max_deliver: int = MAX_DELIVER) -> ConsumerSpec:
    return ConsumerSpec(durable=f"adapter_{system}_commands", stream=COMMANDS.name,
                        filter_subject=f"gxp.cmd.{system}.>", max_deliver=max_deliver, ack_wait=60,
                        backoff=RETRY_BACKOFF)


class CommandExecutor:
    def __init__(self, system: str, handlers: dict[str, Handler], publisher: Publisher,
                 idempotency: IdempotencyStore, metrics: AdapterMetrics, *, attempts: int = 3,
                 max_deliver: int = MAX_DELIVER) -> None:
        self.system, self.handlers, self.publisher = system, handlers, publisher
        self.idempotency, self.metrics = idempotency, metrics
        self.attempts, self.max_deliver = attempts, max_deliver

    async def __call__(self, msg: Msg) -> None:
        """The consumer's handler: PermanentError dead-letters, other errors are redelivered."""
        try:
            command = parse(msg.data)
        except EnvelopeError as exc:
            raise PermanentError(f"not a valid canonical command: {exc}") from None
        if command.data.KIND != "cmd" or self.system != command.data.SYSTEM:
            raise PermanentError(f"{command.type} is not a {self.system} command")
        seen, outcome = await self.idempotency.outcome(command.id)
        if seen:  # already executed: answer again (same reply id, so JetStream drops a second copy)
            log.info("%s: command %s was already executed; repeating its reply", self.system, command.id)
            await self._reply(command, outcome)
            return
        deliveries = msg.metadata.num_delivered or 1
        result = await self._execute(command, last_delivery=deliveries >= self.max_deliver)
        if result is None:
            return
        await self.idempotency.record(command.id, result)
        await self._reply(command, result)

    async def _execute(self, command: Envelope[Any], last_delivery: bool) -> dict[str, Any] | None:
        handler = self.handlers.get(command.type)
        if handler is None:
            return _failure("permanent", "no_handler", f"the {self.system} adapter does not execute {command.type}")
        try:
            async for attempt in AsyncRetrying(retry=retry_if_exception_type(RetryableError),
                                               stop=stop_after_attempt(self.attempts),
                                               wait=wait_exponential(multiplier=0.2, max=3), reraise=True):
                with attempt:
                    outcome = await handler(command)
        except PermanentError as exc:
            self.metrics.command("failed")
            return _failure("permanent", getattr(exc, "code", None), str(exc))
        except RetryableError as exc:
            if not last_delivery:
                raise  # redelivered with backoff by the consumer
            self.metrics.command("failed")
            return _failure("retryable", getattr(exc, "code", None), f"gave up after {self.max_deliver} deliveries: "
                                                                      f"{exc}")
        self.metrics.command("succeeded")
        return {"ok": True, "detail": outcome.detail, "references": outcome.references,
                "at": datetime.now(UTC).isoformat()}

    async def _reply(self, command: Envelope[Any], result: dict[str, Any]) -> None:
        common = {"command_id": command.id, "command_type": command.type}
        if result.get("ok"):
            data: Any = succeeded_type(self.system)(**common, completed_at=result["at"],  # type: ignore[arg-type]
                                                    detail=result.get("detail"), references=result["references"])
        else:
            data = failed_type(self.system)(**common, failed_at=result["at"],  # type: ignore[arg-type]
                                            error_class=result["error_class"], error_code=result.get("code"),
                                            detail=result["detail"])
        reply = Envelope.wrap(
            data, id=deterministic_id(self.system, "reply", command.id), source=f"/gxplink/adapters/{self.system}",
            actor=f"service:adapter-{self.system}", sourcesystem=self.system,  # type: ignore[arg-type]
            subject=command.subject, correlationid=command.correlationid, causationid=command.id,
            traceparent=child_traceparent(command.traceparent, f"{self.system}.reply"),
        )
        await self.publisher.publish(reply)


def _failure(error_class: str, code: str | None, detail: str) -> dict[str, Any]:
    return {"ok": False, "error_class": error_class, "code": code, "detail": detail or error_class,
            "at": datetime.now(UTC).isoformat()}
