"""Appending drafts to the hash chain inside one locked transaction.

The lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory transaction lock) is taken before the
head is read, so concurrent writers in several processes append one after the other and never
fork the chain. A draft whose record id is already stored is skipped: that is what makes
ingestion idempotent by message id, even when JetStream redelivers after a lost ack.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import GENESIS, canonical_json, now_text, row_hash
from orchestrator.audit.checkpoints import write_checkpoint
from orchestrator.audit.draft import Draft
from orchestrator.audit.keys import Signer
from orchestrator.audit.schema import links, lock_for_append, record_entities, records

LOOKBACK = 50  # earlier entries of one record searched for unknown old values


@dataclass
class Appended:
    seqs: list[int] = field(default_factory=list)
    skipped: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)


async def head(conn: AsyncConnection) -> tuple[int, str]:
    row = (await conn.execute(select(records.c.seq, records.c.hash).order_by(records.c.seq.desc()).limit(1))).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def to_row(draft: Draft, seq: int, prev_hash: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seq": seq, "record_id": draft.record_id, "kind": draft.kind, "message_type": draft.message_type,
        "subject": draft.subject, "source_system": draft.source_system, "target_system": draft.target_system,
        "actor": draft.actor, "user_id": draft.user_id, "service_id": draft.service_id,
        "source_user": draft.source_user, "source_time": draft.source_time, "received_time": draft.received_time,
        "recorded_time": now_text(),
        "clock_offset": None if draft.clock_offset is None else float(draft.clock_offset), "action": draft.action,
        "record_type": draft.record_type, "record_ref": draft.record_ref,
        "changes": canonical_json(draft.change_dicts()), "reason": draft.reason, "adapter": draft.adapter,
        "mapping_version": draft.mapping_version, "correlation_id": draft.correlation_id,
        "causation_id": draft.causation_id, "trace_id": draft.trace_id,
        "entities": canonical_json(draft.entities), "content": canonical_json(draft.content),
        "prev_hash": prev_hash,
    }
    row["hash"] = row_hash(row)
    return row


async def append(conn: AsyncConnection, drafts: Sequence[Draft], signer: Signer | None,
                 checkpoint_every: int) -> Appended:
    """Append `drafts` in order and commit; the connection must not be in a transaction."""
    await lock_for_append(conn)
    try:
        result = await _append_locked(conn, drafts, signer, checkpoint_every)
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()
    return result


async def _append_locked(conn: AsyncConnection, drafts: Sequence[Draft], signer: Signer | None,
                         checkpoint_every: int) -> Appended:
    seq, prev = await head(conn)
    wanted = [d.record_id for d in drafts]
    seen: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        seen.update((await conn.execute(select(records.c.record_id).where(records.c.record_id.in_(chunk)))).scalars())
    result = Appended()
    rows: list[dict[str, Any]] = []
    marks: list[tuple[int, str]] = []
    for draft in drafts:
        if draft.record_id in seen:
            result.skipped += 1
            continue
        seen.add(draft.record_id)
        if draft.lookup_old:
            await fill_old_values(conn, draft, rows)
        seq += 1
        rows.append(to_row(draft, seq, prev))
        prev = rows[-1]["hash"]
        result.seqs.append(seq)
        if signer is not None and checkpoint_every > 0 and seq % checkpoint_every == 0:
            marks.append((seq, prev))
    if rows:  # one statement per table: a batch costs three round trips, not three per record
        await conn.execute(records.insert(), rows)
        await _index(conn, rows)
    if signer is not None:
        for upto, head_hash in marks:
            result.checkpoints.append(await write_checkpoint(conn, signer, upto, head_hash))
    return result


async def _index(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    entity_rows: list[dict[str, Any]] = []
    pairs: dict[tuple[str, str], int] = {}
    for row in rows:
        stored = json.loads(row["entities"])
        entity_rows += [{"seq": s, "kind": k, "entity_id": i} for s, k, i in ent.index_rows(row["seq"], stored)]
        for pair in ent.edges(stored):
            pairs.setdefault(pair, row["seq"])
    if entity_rows:
        await conn.execute(record_entities.insert(), entity_rows)
    if pairs:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(links).on_conflict_do_nothing(index_elements=["a", "b"])
        await conn.execute(statement, [{"a": a, "b": b, "first_seq": s} for (a, b), s in sorted(pairs.items())])


async def fill_old_values(conn: AsyncConnection, draft: Draft, pending: list[dict[str, Any]]) -> None:
    """Unknown old values (None) from the latest earlier entry of the same record that set the field.

    A release event says the lot is now released; the lot's creation or last status change says
    what it was before (`pending` rows of the same batch count too, newest first). Fields that come
    out unchanged are dropped: they are not a change.
    """
    if not any(change.old is None for change in draft.changes):
        return
    query = (select(records.c.changes).where(records.c.record_type == draft.record_type,
                                             records.c.record_ref == draft.record_ref)
             .order_by(records.c.seq.desc()).limit(LOOKBACK))
    same = [r["changes"] for r in reversed(pending)
            if (r["record_type"], r["record_ref"]) == (draft.record_type, draft.record_ref)]
    history = [json.loads(text) for text in [*same, *(await conn.execute(query)).scalars()]]
    kept = []
    for change in draft.changes:
        if change.old is None:
            earlier = next((c for entry in history for c in entry if c.get("field") == change.field), None)
            if earlier is not None:
                change.old = earlier.get("new")
                if change.old == change.new:
                    continue
        kept.append(change)
    draft.changes = kept
