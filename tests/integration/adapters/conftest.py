"""Adapters composed with real ports: a real nats-server, a SQLite store, the shipped mappings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from mappings.engine.catalog import Catalog, load_catalog
from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import ensure_streams
from storage.engine import create_schema, default_url, make_engine


@pytest.fixture(scope="module")
def private_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """A nats-server of one module's own, for modules that count what the shared server would mix: fresh
    simulators with the same seed replay the same history, whose message ids another module already stored."""
    server = EmbeddedNats(tmp_path_factory.mktemp("private-nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def private_nc(private_nats: EmbeddedNats) -> AsyncIterator[Client]:
    """Connected to the module's own server, with gxplink's streams; a module uses it as its `nc`."""
    client = await connect(private_nats.url, "private-tests")
    await ensure_streams(client.jetstream())
    yield client
    await client.close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
async def ports_for(nc: Client, tmp_path: Path, catalog: Catalog) -> AsyncIterator[Callable[[str], AdapterPorts]]:
    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)

    def build(system: str) -> AdapterPorts:
        return AdapterPorts(nc=nc, js=nc.jetstream(), publisher=Publisher(nc.jetstream()), engine=engine,
                            catalog=catalog, metrics=AdapterMetrics(system), nats_connected=lambda: nc.is_connected)
    yield build
    await engine.dispose()


async def stream_messages(nc: Client, stream: str, subject: str) -> list[dict[str, Any]]:
    """Every message stored on `subject` (wildcards allowed), decoded."""
    from nats.js.errors import NotFoundError

    found, seq = [], 1
    while True:
        try:
            msg = await nc.jetstream().get_msg(stream, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return found
        found.append(json.loads(msg.data or b"{}"))
        seq = (msg.seq or seq) + 1


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)
