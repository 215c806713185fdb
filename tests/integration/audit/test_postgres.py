"""The audit store on PostgreSQL: concurrent writers, triggers, tamper detection, the writer over NATS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit import query
from orchestrator.audit.keys import load_or_create_signer
from orchestrator.audit.schema import ensure_schema
from orchestrator.audit.store import AuditStore
from orchestrator.audit.verify import verify
from orchestrator.audit.writer import AuditWriter
from storage.engine import make_engine
from tests.integration.audit.test_writer import docs_for, publish
from tests.unit.audit.envelopes import batch_drafts

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[str]:
    """A fresh database per test, dropped afterwards."""
    name = f"gxplink_audit_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_concurrent_writers_triggers_and_tampering(pg_db: str, tmp_path: Path) -> None:
    signer = load_or_create_signer(tmp_path / "keys")
    engines = [make_engine(pg_db) for _ in range(3)]
    try:
        await asyncio.gather(*(ensure_schema(e) for e in engines))  # several processes starting at once
        stores = [AuditStore(e, signer, checkpoint_every=5) for e in engines]
        await asyncio.gather(*(s.append([d]) for i, s in enumerate(stores) for d in batch_drafts(f"P{i}")[:8]))
        report = await verify(engines[0], signer.verifier)
        assert report.ok and report.records == 24 and report.checkpoints == 4, report.problems
        with pytest.raises(DBAPIError, match="append-only"):
            async with engines[0].begin() as conn:
                await conn.execute(text("DELETE FROM audit_records WHERE seq = 3"))
        async with engines[0].begin() as conn:
            await conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
            await conn.execute(text("UPDATE audit_records SET reason = 'rewritten' WHERE seq = 7"))
        report = await verify(engines[0], signer.verifier)
        assert not report.ok and report.first_broken is not None and report.first_broken[0] == 7
    finally:
        for engine in engines:
            await engine.dispose()


async def test_writer_over_nats_into_postgres(pg_db: str, nc: Client, tmp_path: Path, token: str) -> None:
    engine: AsyncEngine = make_engine(pg_db)
    batch = f"PG-{token}"
    try:
        await publish(nc, docs_for(batch))
        writer = AuditWriter(nc.jetstream(), engine, tmp_path / "keys", durable_prefix=f"audit-pg-{token}")
        await writer.start()
        await writer.catch_up(timeout=30)
        await writer.stop()
        trail = await query.trail(engine, batch)
        assert len(trail) == len({r["id"] for r in trail}) == len(docs_for(batch))
        assert (await verify(engine, writer.store.signer.verifier if writer.store and writer.store.signer
                             else None)).ok
    finally:
        await engine.dispose()
