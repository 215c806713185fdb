"""What the fuzz suites share: the shipped catalog (loaded once), the real inbound pipeline over a recorder, cursors.

The recorder stands in for JetStream and keeps every publish, events and dead letters alike, so a
fuzz test can say of each input whether it became canonical events or a dead letter with a reason.
"""

from __future__ import annotations

import functools
import json
from types import SimpleNamespace
from typing import Any

from adapters.framework.inbound import Accepted, InboundPipeline, Rejected
from adapters.framework.metrics import AdapterMetrics
from mappings.engine.catalog import Catalog, load_catalog
from messaging.dead_letters import DeadLetter


@functools.cache
def shipped_catalog() -> Catalog:
    return load_catalog()


class RecordingPublisher:
    """JetStream's publish as the pipeline uses it: every message kept, none a duplicate."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes, dict[str, str]]] = []

    async def publish_bytes(self, subject: str, payload: bytes, headers: dict[str, str]) -> Any:
        self.messages.append((subject, payload, headers))
        return SimpleNamespace(duplicate=False)

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        return [json.loads(p) for s, p, _ in self.messages[since:] if s.startswith("gxp.evt.")]

    def dead_letters(self, since: int = 0) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(p) for s, p, _ in self.messages[since:] if s.startswith("gxp.dlq.")]


class MemoryCursors:
    """The cursor store's two calls, in memory."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, name: str) -> str | None:
        return self.data.get(name)

    async def set(self, name: str, position: str) -> None:
        self.data[name] = position


def recording_pipeline(system: str,
                       metrics: AdapterMetrics | None = None) -> tuple[InboundPipeline, RecordingPublisher]:
    """The real inbound pipeline (mapping selection, translation, dead letters) publishing into a recorder."""
    publisher = RecordingPublisher()
    metrics = metrics or AdapterMetrics(system)
    return InboundPipeline(system, publisher, shipped_catalog(), metrics), publisher  # type: ignore[arg-type]


def outcomes_of(pipeline: InboundPipeline) -> list[tuple[str, Accepted | Rejected]]:
    """From now on, every (origin, outcome) of `pipeline.accept`: what became of each input it was handed."""
    seen: list[tuple[str, Accepted | Rejected]] = []
    accept = pipeline.accept

    async def recording(raw: bytes, **options: Any) -> Accepted | Rejected:
        outcome = await accept(raw, **options)
        seen.append((str(options.get("origin")), outcome))
        return outcome
    pipeline.accept = recording  # type: ignore[method-assign]
    return seen


def assert_refusals_are_dead_letters(seen: list[tuple[str, Accepted | Rejected]], letters: list[DeadLetter]) -> None:
    """Each refused input is in the dead-letter stream, with a reason and where it came from."""
    by_id = {letter.id: letter for letter in letters}
    for origin, outcome in seen:
        if isinstance(outcome, Rejected):
            letter = by_id[outcome.dead_letter_id]
            assert outcome.reason.strip() and letter.reason.strip(), letter
            assert letter.source == origin, (letter.source, origin)
