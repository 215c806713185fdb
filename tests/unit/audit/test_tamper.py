"""Tamper evidence: edits, deletions and reorderings made directly in SQLite, triggers dropped first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit.keys import Signer, load_or_create_signer
from orchestrator.audit.schema import APPEND_ONLY
from orchestrator.audit.store import AuditStore
from orchestrator.audit.verify import verify
from tests.unit.audit.envelopes import batch_drafts

pytestmark = pytest.mark.unit


@pytest.fixture
async def filled(store: AuditStore, tmp_path: Path) -> Path:
    await store.append(batch_drafts("B-T"))
    await store.checkpoint()
    return tmp_path / "gxplink.db"


def attack(db: Path, *statements: str) -> None:
    con = sqlite3.connect(db)
    for table in APPEND_ONLY:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (table,)):
            con.execute(f'DROP TRIGGER "{name}"')
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


async def broken(engine: AsyncEngine, signer: Signer) -> tuple[int, str]:
    await engine.dispose()  # forget pooled connections opened before the file was changed
    report = await verify(engine, signer.verifier)
    assert not report.ok
    assert report.first_broken is not None
    return report.first_broken


async def test_intact_trail_verifies(filled: Path, engine: AsyncEngine, signer: Signer) -> None:
    report = await verify(engine, signer.verifier)
    assert report.ok and "intact" in report.summary()


@pytest.mark.requirement("P11-011")
@pytest.mark.parametrize(("statements", "seq"), [
    (["UPDATE audit_records SET reason = 'nothing to see' WHERE seq = 20"], 20),
    (["UPDATE audit_records SET correlation_id = 'B-TX' WHERE seq = 5"], 5),
    (["DELETE FROM audit_records WHERE seq = 33"], 33),
    (["UPDATE audit_records SET seq = -1 WHERE seq = 10", "UPDATE audit_records SET seq = 10 WHERE seq = 11",
      "UPDATE audit_records SET seq = 11 WHERE seq = -1"], 10),
    (["DELETE FROM audit_records WHERE seq > 60"], 61),
    (["UPDATE audit_record_entities SET entity_id = 'B-TX' WHERE entity_id = 'B-T' AND seq = 7"], 7),
    (["DELETE FROM audit_record_entities WHERE rowid = 40"], None),
    (["DELETE FROM audit_links WHERE rowid = 25"], None),
    (["UPDATE audit_checkpoints SET upto_seq = 5 WHERE number = 1"], 5),
])
async def test_direct_sql_tampering_is_detected(filled: Path, engine: AsyncEngine, signer: Signer,
                                                statements: list[str], seq: int | None) -> None:
    attack(filled, *statements)
    first_seq, message = await broken(engine, signer)
    if seq is not None:
        assert first_seq == seq, message


@pytest.mark.requirement("P11-011")
async def test_a_rewritten_chain_fails_the_signed_checkpoint(filled: Path, engine: AsyncEngine,
                                                             signer: Signer) -> None:
    """Recomputing every hash after an edit keeps the chain consistent, but not the signed head."""
    from orchestrator.audit.canonical import GENESIS, row_hash

    attack(filled, "UPDATE audit_records SET reason = 'forged' WHERE seq = 3")
    con = sqlite3.connect(filled)
    con.row_factory = sqlite3.Row
    prev = GENESIS
    for row in con.execute("SELECT * FROM audit_records ORDER BY seq").fetchall():
        fixed = {**dict(row), "prev_hash": prev}
        fixed["hash"] = row_hash(fixed)
        con.execute("UPDATE audit_records SET prev_hash = ?, hash = ? WHERE seq = ?",
                    (fixed["prev_hash"], fixed["hash"], row["seq"]))
        prev = fixed["hash"]
    con.commit()
    con.close()
    _, message = await broken(engine, signer)
    assert "checkpoint" in message


@pytest.mark.requirement("P11-011")
async def test_checkpoints_signed_by_another_key_are_refused(filled: Path, engine: AsyncEngine,
                                                             tmp_path: Path) -> None:
    other = load_or_create_signer(tmp_path / "other-keys")
    report = await verify(engine, other.verifier)
    assert not report.ok and "not by this trail's key" in report.problems[0]


async def test_dropped_triggers_alone_are_reported(filled: Path, engine: AsyncEngine, signer: Signer) -> None:
    attack(filled)
    await engine.dispose()
    report = await verify(engine, signer.verifier)
    assert not report.ok and all("triggers were dropped" in p for p in report.problems)
