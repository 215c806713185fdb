"""The same stores on PostgreSQL, the scale-out database."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.cursors import CursorStore
from storage.engine import create_schema, make_engine
from storage.idempotency import IdempotencyStore

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh database per test, dropped afterwards."""
    name = f"gxplink_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(pg_url).set(database=name).render_as_string(hide_password=False))
    await create_schema(engine)
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_cursor_round_trip(pg_engine: AsyncEngine) -> None:
    store = CursorStore(pg_engine)
    await store.set("adapter.erp.changes", "2026-11-22T10:00:00Z#17")
    await store.set("adapter.erp.changes", "2026-11-22T10:00:05Z#18")
    assert await store.get("adapter.erp.changes") == "2026-11-22T10:00:05Z#18"
    await create_schema(pg_engine)  # a second process starting up changes nothing
    assert await store.get("adapter.erp.changes") == "2026-11-22T10:00:05Z#18"


async def test_idempotency_key_wins_once_under_concurrency(pg_engine: AsyncEngine) -> None:
    import asyncio

    stores = [IdempotencyStore(pg_engine, scope=f"orchestrator-{i}") for i in range(5)]
    results = await asyncio.gather(*(s.record("wf-1:release", {"by": i}) for i, s in enumerate(stores)))
    assert sorted(results) == [False, False, False, False, True]
    seen, outcome = await stores[0].outcome("wf-1:release")
    assert seen and outcome == {"by": results.index(True)}
