"""Checking the whole trail: the chain, the derived index and links, the signed checkpoints.

Each record's hash is recomputed from its stored columns and its link to the previous record is
checked; the entity index and the link table are re-derived from the records and compared row by
row; every checkpoint signature is checked against the trusted key and its head against the
record it names. The report names the first broken record, in chain order.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import GENESIS, row_hash
from orchestrator.audit.checkpoints import checkpoint_problem
from orchestrator.audit.keys import KEY_FILE, PUBLIC_FILE, Verifier, load_verifier
from orchestrator.audit.schema import checkpoints, has_schema, links, missing_triggers, record_entities, records

MAX_PROBLEMS = 50


@dataclass
class Report:
    records: int = 0
    checkpoints: int = 0
    covered_upto: int = 0
    problems: list[str] = field(default_factory=list)
    first_broken: tuple[int, str] | None = None  # (seq, what is wrong with it)
    ids: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, seq: int | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        if seq is not None and (self.first_broken is None or seq < self.first_broken[0]):
            self.first_broken = (seq, message)

    def summary(self) -> str:
        if self.ok:
            return (f"audit trail intact: {self.records} records, {self.checkpoints} signed checkpoints "
                    f"(covering records 1..{self.covered_upto})")
        first = self.first_broken
        named = f"first broken record: seq {first[0]}, id {self.ids.get(first[0], '?')}: {first[1]}" if first \
            else self.problems[0]
        return f"audit trail BROKEN ({len(self.problems)} problem(s)); {named}"


async def verify(engine: AsyncEngine, verifier: Verifier | None, *, key_exists: bool = False) -> Report:
    report = Report()
    async with engine.connect() as conn:
        await _snapshot(conn)
        if not await has_schema(conn):
            if key_exists:
                report.fail(None, "the audit tables are missing although an audit key exists (dropped?)")
            return report
        for table in await missing_triggers(conn):
            report.fail(None, f"{table}: its append-only triggers were dropped")
        marks = [dict(r) for r in (await conn.execute(select(checkpoints).order_by(checkpoints.c.number))).mappings()]
        wanted = {m["upto_seq"] for m in marks}
        heads, index, edges = await _check_chain(conn, report, wanted)
        await _check_index(conn, report, index)
        await _check_links(conn, report, edges)
        _check_checkpoints(report, marks, heads, verifier)
        await conn.rollback()
    return report


async def _snapshot(conn: AsyncConnection) -> None:
    """One consistent view of all tables while writers keep appending."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("BEGIN")
    else:
        await conn.execution_options(isolation_level="REPEATABLE READ")


async def _check_chain(conn: AsyncConnection, report: Report, wanted: set[int]
                       ) -> tuple[dict[int, str], set[tuple[int, str, str]], dict[tuple[str, str], int]]:
    prev_seq, prev_hash, seen = 0, GENESIS, set()
    heads: dict[int, str] = {}
    index: set[tuple[int, str, str]] = set()
    edges: dict[tuple[str, str], int] = {}
    result = await conn.stream(select(records).order_by(records.c.seq))
    async for mapping in result.mappings():
        row: dict[str, Any] = dict(mapping)
        seq, rid = int(row["seq"]), str(row["record_id"])
        report.records += 1
        report.ids[seq] = rid
        if seq != prev_seq + 1:
            report.fail(seq, f"records {prev_seq + 1}..{seq - 1} are missing before record {seq} ({rid})")
        elif row["prev_hash"] != prev_hash:
            report.fail(seq, f"record {seq} ({rid}) does not link to record {prev_seq}: "
                             "rows were removed, reordered or rewritten")
        if row_hash(row) != row["hash"]:
            report.fail(seq, f"record {seq} ({rid}) was altered: its columns no longer match its hash")
        if rid in seen:
            report.fail(seq, f"record {seq} repeats the record id {rid}")
        seen.add(rid)
        try:
            stored = [[str(k), str(i)] for k, i in json.loads(row["entities"])]
        except (ValueError, TypeError):
            report.fail(seq, f"record {seq} ({rid}) has an unreadable entities column")
            stored = []
        index.update(ent.index_rows(seq, stored))
        for edge in ent.edges(stored):
            edges.setdefault(edge, seq)
        if seq in wanted:
            heads[seq] = row["hash"]
        prev_seq, prev_hash = seq, row["hash"]
    return heads, index, edges


async def _check_index(conn: AsyncConnection, report: Report, expected: set[tuple[int, str, str]]) -> None:
    rows = await conn.execute(select(record_entities.c.seq, record_entities.c.kind, record_entities.c.entity_id))
    actual = {(int(s), str(k), str(i)) for s, k, i in rows}
    for seq, kind, ident in sorted(expected - actual)[:MAX_PROBLEMS]:
        report.fail(seq, f"{record_entities.name}: the row ({kind} {ident}) of record {seq} was removed or altered")
    for seq, kind, ident in sorted(actual - expected)[:MAX_PROBLEMS]:
        report.fail(seq, f"{record_entities.name}: the row ({kind} {ident}) for record {seq} "
                         "does not derive from the chain (added or altered)")


async def _check_links(conn: AsyncConnection, report: Report, expected: dict[tuple[str, str], int]) -> None:
    rows = await conn.execute(select(links.c.a, links.c.b, links.c.first_seq))
    actual = {(str(a), str(b)): int(s) for a, b, s in rows}
    for pair in sorted(set(expected) - set(actual), key=expected.__getitem__)[:MAX_PROBLEMS]:
        report.fail(expected[pair], f"{links.name}: the link {pair[0]} <-> {pair[1]} of record {expected[pair]} "
                                    "was removed or altered")
    extra = sorted((p for p in actual if expected.get(p) != actual[p]), key=actual.__getitem__)
    for pair in extra[:MAX_PROBLEMS]:
        report.fail(actual[pair], f"{links.name}: the link {pair[0]} <-> {pair[1]} (record {actual[pair]}) "
                                  "does not derive from the chain (added or altered)")


def _check_checkpoints(report: Report, marks: list[dict[str, Any]], heads: dict[int, str],
                       verifier: Verifier | None) -> None:
    previous_upto = 0
    for expected_number, mark in enumerate(marks, start=1):
        report.checkpoints += 1
        upto = int(mark["upto_seq"])
        problem = checkpoint_problem(mark, verifier, expected_number, previous_upto)
        if problem:
            report.fail(upto, problem)
        elif upto not in heads:
            report.fail(upto, f"record {upto}, signed by checkpoint #{mark['number']}, is missing: "
                              "records were deleted")
        elif heads.get(upto) != mark["head_hash"]:
            report.fail(upto, f"record {upto} differs from the head signed by checkpoint #{mark['number']}")
        else:
            report.covered_upto = upto
        previous_upto = max(previous_upto, upto)


async def verify_with_keys(engine: AsyncEngine, keys: Path) -> Report:
    """`verify` with the checkpoint key found under `keys` (the writer's private key, or its public half alone)."""
    exists = (keys / KEY_FILE).exists() or (keys / PUBLIC_FILE).exists()
    return await verify(engine, await asyncio.to_thread(load_verifier, keys), key_exists=exists)
