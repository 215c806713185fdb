"""P5 audit query and P6 audit verify, on one trail filled through the real hash-chain append.

The trail holds records of many batches (each batch's records correlated by batch, lot, sample and
step ids, as the adapters' events are), appended in transactions of a few thousand as the audit
writer does. P5 times `gxplink audit trail <batch>` (correlation graph walk and rows) against the
indexed SQL lookup of the same batch's rows (the floor any query needs). P6 times `audit verify`
over the whole trail against raw sha256 over the same canonical bytes.
"""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gxplink.bench.figures import BenchContext, Figure, percentile
from orchestrator.audit.canonical import GENESIS, canonical_json
from orchestrator.audit.chain import _index as index_rows
from orchestrator.audit.chain import to_row
from orchestrator.audit.draft import Change, Draft
from orchestrator.audit.keys import load_or_create_signer, load_verifier
from orchestrator.audit.query import trail
from orchestrator.audit.schema import ensure_schema, records
from orchestrator.audit.store import AuditStore
from orchestrator.audit.verify import verify
from storage.engine import default_url, make_engine

PER_BATCH = 100  # audit records of one batch in the trail
APPEND = 20_000  # records per transaction while filling
SYSTEMS = ("mes", "lims", "qms", "erp", "deltav")


def draft(seq: int) -> Draft:
    batch = f"CART-B{seq // PER_BATCH:07d}"
    system = SYSTEMS[seq % len(SYSTEMS)]
    sample = f"S-{batch}-{seq % 4}"
    return Draft(
        record_id=f"bench-{seq:09d}", kind="event", source_system=system, action="recorded",
        record_type="test_result" if system == "lims" else "batch", record_ref=sample if system == "lims" else batch,
        source_time="2026-11-22T10:00:00Z", received_time="2026-11-22T10:00:01Z", actor="service:bench",
        message_type=f"io.gxplink.evt.{system}.bench.v1", correlation_id=batch,
        changes=[Change(field="value", old=None, new=str(seq))],
        entities=[["batch", batch], ["lot", f"L-{batch}"], ["sample", sample]],
        content={"seq": seq, "batch": batch})


async def fill(engine: AsyncEngine, keys: Path, n: int) -> float:
    """Chain n records (the writer's row, hash and index code) in large transactions, sign the head; records/s.

    Setup, not the measured path: it skips what only live ingestion needs (duplicate and old-value
    lookups), so that a trail of a million records is ready in seconds.
    """
    await ensure_schema(engine)
    started = time.perf_counter()
    seq, prev = 0, GENESIS
    async with engine.connect() as conn:
        for first in range(0, n, APPEND):
            rows = []
            for number in range(first, min(n, first + APPEND)):
                seq += 1
                rows.append(to_row(draft(number), seq, prev))
                prev = rows[-1]["hash"]
            await conn.execute(records.insert(), rows)
            await index_rows(conn, rows)
            await conn.commit()
    await AuditStore(engine, load_or_create_signer(keys)).checkpoint()
    return n / (time.perf_counter() - started)


async def query_times(engine: AsyncEngine, n: int, queries: int) -> tuple[list[float], list[float]]:
    """Milliseconds per `audit trail` of a random batch, and per indexed lookup of its rows."""
    rng = random.Random(7)
    batches = [f"CART-B{rng.randrange(n // PER_BATCH):07d}" for _ in range(queries)]
    ours, floor = [], []
    lookup = text("SELECT r.* FROM audit_records r JOIN audit_record_entities e ON e.seq = r.seq "
                  "WHERE e.kind = 'batch' AND e.entity_id = :b ORDER BY r.seq")
    for batch in batches:
        started = time.perf_counter()
        found = await trail(engine, batch)
        ours.append((time.perf_counter() - started) * 1000)
        if len(found) < PER_BATCH:
            raise RuntimeError(f"the trail of {batch} has {len(found)} records, expected {PER_BATCH}")
        async with engine.connect() as conn:
            started = time.perf_counter()
            (await conn.execute(lookup, {"b": batch})).all()
            floor.append((time.perf_counter() - started) * 1000)
    return ours, floor


async def raw_sha256_rate(engine: AsyncEngine) -> float:
    """Records/s of sha256 over each stored row's canonical JSON (no database reads timed)."""
    async with engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(select(records).limit(200_000))).mappings()]
    payloads = [canonical_json({k: v for k, v in row.items() if k != "hash"}).encode() for row in rows]
    started = time.perf_counter()
    for payload in payloads:
        hashlib.sha256(payload).hexdigest()
    return len(payloads) / (time.perf_counter() - started)


async def run(ctx: BenchContext) -> dict[str, Figure]:
    n = ctx.pick(2_000, 250_000, 10_000_000)
    where = ctx.scratch("p5")
    engine = make_engine(default_url(where))
    try:
        ctx.say(f"P5 filling an audit trail of {n:,} records ...")
        fill_rate = await fill(engine, where / "keys", n)
        async with engine.connect() as conn:
            stored = int((await conn.execute(select(func.count()).select_from(records))).scalar_one())
        ours, floor = await query_times(engine, n, ctx.pick(20, 200, 500))
        started = time.perf_counter()
        report = await verify(engine, load_verifier(where / "keys"), key_exists=True)
        verify_rate = stored / (time.perf_counter() - started)
        if not report.ok:
            raise RuntimeError(f"audit verify failed on the benchmark trail: {report.summary()}")
        sha_rate = await raw_sha256_rate(engine)
    finally:
        await engine.dispose()
    ctx.say(f"P5 audit query of one batch among {stored:,}: p99 {percentile(ours, 99):.1f} ms "
            f"(indexed lookup {percentile(floor, 99):.1f} ms); P6 verify {verify_rate:,.0f} records/s "
            f"(raw sha256 {sha_rate:,.0f}/s)")
    detail = {"records": stored, "records_per_batch": PER_BATCH, "store": "SQLite", "fill_records_per_s":
              round(fill_rate)}
    return {
        "audit_query_p99": Figure(percentile(ours, 99), "ms", percentile(floor, 99),
                                  "indexed SQL lookup of the batch's rows, p99", better="lower", goal_value=50,
                                  detail=detail),
        "audit_query_p50": Figure(percentile(ours, 50), "ms", percentile(floor, 50),
                                  "indexed SQL lookup of the batch's rows, p50", better="lower"),
        "audit_verify": Figure(verify_rate, "records/s", sha_rate, "raw sha256 over the same canonical bytes",
                               goal_ratio=0.5, detail={"records": stored}),
    }
