"""The JetStream streams gxplink relies on, created idempotently at start-up.

All streams use file storage and a duplicate window: every publish carries `Nats-Msg-Id`, so a
producer that retries after a lost acknowledgement (or an adapter that re-reads a source record)
never stores a message twice within the window. Limits retention keeps commands readable by
several consumers (the adapter that executes them and the audit writer that records them).
"""

from __future__ import annotations

from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import APIError, NotFoundError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential

from canonical_model import subjects

DAY = 86_400.0


@dataclass(frozen=True)
class StreamPolicy:
    """Operator-tunable limits shared by every gxplink stream."""

    max_age_days: float = 30.0
    duplicate_window_seconds: float = 300.0
    replicas: int = 1
    max_bytes: int = -1


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    keep_days: float | None = None  # overrides the policy's max age (e.g. dead letters live longer)

    def config(self, policy: StreamPolicy) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            description=self.description,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=(self.keep_days or policy.max_age_days) * DAY,
            max_bytes=policy.max_bytes,
            duplicate_window=policy.duplicate_window_seconds,
            num_replicas=policy.replicas,
        )


EVENTS = StreamSpec("GXP_EVENTS", (subjects.ALL_EVENTS,), "Canonical events from every system and gxplink")
COMMANDS = StreamSpec("GXP_COMMANDS", (subjects.ALL_COMMANDS,), "Canonical commands to the legacy systems")
DEAD_LETTERS = StreamSpec(
    "GXP_DLQ", (subjects.ALL_DEAD_LETTERS,), "Input that could not be processed, with the reason", keep_days=365
)
AUDIT = StreamSpec("GXP_AUDIT", (subjects.ALL_AUDIT,), "Native audit entries of legacy systems and gxplink actions")

TRANSFER = StreamSpec("GXP_TRANSFER", (subjects.ALL_TRANSFER,),
                      "Tech-transfer messages this deployment sent or received over its sponsor-CDMO link",
                      keep_days=3650)

ALL_STREAMS: tuple[StreamSpec, ...] = (EVENTS, COMMANDS, DEAD_LETTERS, AUDIT, TRANSFER)


def _not_ready(exc: BaseException) -> bool:
    """JetStream is still forming (a cluster electing its meta leader, a node restarting): worth waiting."""
    if isinstance(exc, APIError):
        return exc.code in (None, 500, 503) and not isinstance(exc, NotFoundError)
    return isinstance(exc, nats.errors.TimeoutError | nats.errors.NoRespondersError | TimeoutError)


async def ensure_streams(js: JetStreamContext, policy: StreamPolicy | None = None,
                         wait_seconds: float = 60.0) -> list[StreamInfo]:
    """Create missing streams and bring existing ones to the wanted configuration.

    Components of a cluster start together with its servers: while JetStream is not ready yet
    (no meta leader, not enough peers for the replicas) this waits, up to `wait_seconds`.
    """
    async for attempt in AsyncRetrying(retry=retry_if_exception(_not_ready), wait=wait_exponential(0.2, max=2.0),
                                       stop=stop_after_delay(wait_seconds), reraise=True):
        with attempt:
            return await _ensure(js, policy or StreamPolicy())
    raise AssertionError("unreachable: tenacity reraises")


async def _ensure(js: JetStreamContext, policy: StreamPolicy) -> list[StreamInfo]:
    infos = []
    for spec in ALL_STREAMS:
        wanted = spec.config(policy)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            infos.append(await js.add_stream(wanted))
        else:
            infos.append(await js.update_stream(wanted))
    return infos
