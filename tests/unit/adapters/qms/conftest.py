"""Unit fixtures of the QMS adapter: the in-memory QMS, a recording JetStream publisher, a SQLite store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.framework.inbound import InboundPipeline
from adapters.framework.metrics import AdapterMetrics
from adapters.qms.fake import FakeQmsClient
from mappings.engine.catalog import Catalog, load_catalog
from storage.cursors import CursorStore
from storage.engine import create_schema, default_url, make_engine


class RecordingPublisher:
    """Stands in for JetStream: keeps what was published and drops a repeated Nats-Msg-Id, as the stream does."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.fail_after: int | None = None  # raise on the publish after this many (JetStream gone)

    async def publish_bytes(self, subject: str, payload: bytes, headers: dict[str, str]) -> Any:
        if self.fail_after is not None and len(self.messages) >= self.fail_after:
            raise TimeoutError("nats: timeout")
        duplicate = any(h["Nats-Msg-Id"] == headers["Nats-Msg-Id"] for _, _, h in self.messages)
        if not duplicate:
            self.messages.append((subject, json.loads(payload), headers))
        return SimpleNamespace(duplicate=duplicate)

    async def publish(self, envelope: Any) -> Any:
        return await self.publish_bytes(envelope.nats_subject, envelope.to_json(), {"Nats-Msg-Id": envelope.id})

    def on(self, prefix: str) -> list[dict[str, Any]]:
        return [body for subject, body, _ in self.messages if subject.startswith(prefix)]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def fake() -> FakeQmsClient:
    return FakeQmsClient()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def pipeline(publisher: RecordingPublisher, catalog: Catalog) -> InboundPipeline:
    return InboundPipeline("qms", publisher, catalog, AdapterMetrics("qms"))  # type: ignore[arg-type]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(default_url(tmp_path))
    await create_schema(built)
    yield built
    await built.dispose()


@pytest.fixture
def cursors(engine: AsyncEngine) -> CursorStore:
    return CursorStore(engine)
