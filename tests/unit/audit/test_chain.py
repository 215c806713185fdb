"""Appending: idempotent by record id, contiguous, checkpointed, serialised across writers, append-only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit import query
from orchestrator.audit.canonical import GENESIS
from orchestrator.audit.keys import Signer
from orchestrator.audit.store import AppendOnlyError, AuditStore
from orchestrator.audit.verify import verify
from storage.engine import default_url, make_engine
from tests.unit.audit.envelopes import batch_drafts, draft

pytestmark = pytest.mark.unit


@pytest.mark.requirement("P11-001")
async def test_appends_chain_and_skip_what_is_stored(store: AuditStore, engine: AsyncEngine, signer: Signer) -> None:
    drafts = batch_drafts("B-1")
    first = await store.append(drafts)
    assert first.seqs == list(range(1, len(drafts) + 1)) and first.skipped == 0
    again = await store.append(drafts)
    assert again.seqs == [] and again.skipped == len(drafts)
    head = await store.get(drafts[0].record_id)
    assert head is not None and head["prev_hash"] == GENESIS
    assert len(first.checkpoints) == len(drafts) // 10
    report = await verify(engine, signer.verifier)
    assert report.ok, report.problems
    assert report.records == len(drafts) and report.covered_upto == (len(drafts) // 10) * 10


async def test_checkpoint_covers_the_head_once(store: AuditStore, engine: AsyncEngine, signer: Signer) -> None:
    await store.append([draft("io.gxplink.evt.erp.lot_created", "B-2")])
    row = await store.checkpoint()
    assert row is not None and row["upto_seq"] == 1
    assert await store.checkpoint() is None
    assert (await verify(engine, signer.verifier)).covered_upto == 1


@pytest.mark.requirement("P11-002")
async def test_old_values_come_from_the_records_history(store: AuditStore) -> None:
    created = draft("io.gxplink.evt.erp.lot_created", "B-3")
    released = draft("io.gxplink.evt.erp.lot_released", "B-3")
    await store.append([created, released])
    row = await store.get(released.record_id)
    assert row is not None and '{"field":"status","new":"released","old":"quarantine"}' in row["changes"]


async def test_concurrent_writers_never_fork_the_chain(tmp_path: Path, engine: AsyncEngine, signer: Signer) -> None:
    engines = [make_engine(default_url(tmp_path)) for _ in range(3)]
    stores = [AuditStore(e, signer, checkpoint_every=7) for e in engines]
    try:
        await asyncio.gather(*(s.append([d]) for i, s in enumerate(stores) for d in batch_drafts(f"B-C{i}")[:10]))
    finally:
        for e in engines:
            await e.dispose()
    report = await verify(engine, signer.verifier)
    assert report.ok, report.problems
    assert report.records == 30 and report.checkpoints == 30 // 7


@pytest.mark.requirement("P11-001")
async def test_database_triggers_refuse_update_and_delete(store: AuditStore, engine: AsyncEngine) -> None:
    await store.append(batch_drafts("B-4")[:3])
    for statement in ("UPDATE audit_records SET reason = 'x'", "DELETE FROM audit_records",
                      "DELETE FROM audit_record_entities", "UPDATE audit_links SET a = 'x'"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))


@pytest.mark.requirement("P11-001")
async def test_the_api_refuses_and_records_the_attempt(store: AuditStore, engine: AsyncEngine,
                                                       signer: Signer) -> None:
    target = draft("io.gxplink.evt.erp.lot_created", "B-5")
    await store.append([target])
    with pytest.raises(AppendOnlyError, match="append-only"):
        await store.update(target.record_id, {"reason": "typo"}, actor="user:eve")
    with pytest.raises(AppendOnlyError):
        await store.delete(target.record_id, actor="user:eve;service:console")
    trail = await query.trail(engine, "B-5")
    attempts = [r for r in trail if r["action"].endswith("_refused")]
    assert [r["action"] for r in attempts] == ["update_refused", "delete_refused"]
    assert attempts[0]["user"] == "eve" and attempts[0]["recordid"] == target.record_id
    assert attempts[0]["changes"] == [{"field": "reason", "old": None, "new": "typo"}]
    assert (await verify(engine, signer.verifier)).ok
