"""ERP adapter unit tests: the in-memory ERP, a JetStream stand-in that drops repeated ids, SQLite cursors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.erp.fake import FakeErp
from adapters.framework.inbound import InboundPipeline
from adapters.framework.metrics import AdapterMetrics
from mappings.engine.catalog import Catalog, load_catalog
from storage.cursors import CursorStore
from storage.engine import create_schema, default_url, make_engine


@dataclass
class Ack:
    duplicate: bool


class RecordingPublisher:
    """Keeps what was published; a repeated Nats-Msg-Id is acknowledged as a duplicate, as JetStream does."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.ids: set[str] = set()

    async def publish_bytes(self, subject: str, payload: bytes, headers: dict[str, str]) -> Ack:
        msg_id = headers["Nats-Msg-Id"]
        if msg_id in self.ids:
            return Ack(True)
        self.ids.add(msg_id)
        self.messages.append((subject, json.loads(payload)))
        return Ack(False)

    def on(self, prefix: str) -> list[dict[str, Any]]:
        return [m for s, m in self.messages if s.startswith(prefix)]

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return [m for s, m in self.messages if s.startswith("gxp.evt.") and m["type"].endswith(f".{name}.v1")]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def fake() -> FakeErp:
    return FakeErp()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def pipeline(publisher: RecordingPublisher, catalog: Catalog) -> InboundPipeline:
    return InboundPipeline("erp", publisher, catalog, AdapterMetrics("erp"))  # type: ignore[arg-type]


@pytest.fixture
async def cursors(tmp_path: Path) -> AsyncIterator[CursorStore]:
    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)
    yield CursorStore(engine)
    await engine.dispose()
