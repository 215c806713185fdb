"""The audit store's tables, in their own MetaData, created idempotently with append-only triggers.

`audit_records` is the hash chain; `audit_record_entities` (record -> business ids) and
`audit_links` (id <-> id, indexed both ways) are derived from it and re-derived by `verify`;
`audit_checkpoints` holds the signed heads. Triggers refuse UPDATE and DELETE on all four (and
TRUNCATE on PostgreSQL), so even SQL typed by hand cannot rewrite history without dropping them first,
and dropping them is itself reported by `verify`.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, PrimaryKeyConstraint, Table, Text, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import write_lock

metadata = MetaData()

records = Table(
    "audit_records", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False, comment="Position in the chain, from 1"),
    Column("record_id", Text, nullable=False, unique=True, comment="CloudEvents id, or own id of an action"),
    Column("kind", Text, nullable=False, comment="event, command, native, dead_letter or action"),
    Column("message_type", Text), Column("subject", Text),
    Column("source_system", Text, nullable=False), Column("target_system", Text),
    Column("actor", Text), Column("user_id", Text), Column("service_id", Text), Column("source_user", Text),
    Column("source_time", Text, nullable=False), Column("received_time", Text, nullable=False),
    Column("recorded_time", Text, nullable=False), Column("clock_offset", Float),
    Column("action", Text, nullable=False), Column("record_type", Text, nullable=False),
    Column("record_ref", Text, nullable=False), Column("changes", Text, nullable=False),
    Column("reason", Text), Column("adapter", Text), Column("mapping_version", Text),
    Column("correlation_id", Text), Column("causation_id", Text), Column("trace_id", Text),
    Column("entities", Text, nullable=False), Column("content", Text, nullable=False),
    Column("prev_hash", Text, nullable=False), Column("hash", Text, nullable=False),
    Index("ix_audit_records_time", "source_time"),
    Index("ix_audit_records_correlation", "correlation_id"),
    Index("ix_audit_records_record", "record_type", "record_ref"),
    Index("ix_audit_records_kind", "kind"),
)
COLUMNS = tuple(c.name for c in records.columns)

record_entities = Table(
    "audit_record_entities", metadata,
    Column("seq", Integer, nullable=False), Column("kind", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    PrimaryKeyConstraint("seq", "kind", "entity_id"),
    Index("ix_audit_record_entities_entity", "entity_id"),
)

links = Table(
    "audit_links", metadata,
    Column("a", Text, nullable=False), Column("b", Text, nullable=False),
    Column("first_seq", Integer, nullable=False, comment="Record that first linked them"),
    PrimaryKeyConstraint("a", "b"),
    Index("ix_audit_links_b", "b", "a"),
)

checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("upto_seq", Integer, nullable=False), Column("head_hash", Text, nullable=False),
    Column("created_at", Text, nullable=False), Column("key_id", Text, nullable=False),
    Column("signature", Text, nullable=False),
)

APPEND_ONLY = tuple(t.name for t in metadata.sorted_tables)
PG_LOCK_KEY = 0x67787061  # "gxpa": the advisory lock that serialises appends on PostgreSQL


def sqlite_triggers(table: str) -> list[str]:
    return [f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{op.lower()}" BEFORE {op} ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for op in ("UPDATE", "DELETE")]


# "%%": the statement goes through psycopg, which reads a single % as a placeholder.
PG_FUNCTION = """CREATE OR REPLACE FUNCTION gxplink_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END $$"""


def pg_triggers(table: str) -> list[str]:
    return [f'CREATE OR REPLACE TRIGGER "{table}_no_change" BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION gxplink_audit_append_only()",
            f'CREATE OR REPLACE TRIGGER "{table}_no_truncate" BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION gxplink_audit_append_only()"]


async def lock_for_append(conn: AsyncConnection) -> None:
    """Begin the transaction holding the one write lock: no two writers can read the same head."""
    await write_lock(conn, PG_LOCK_KEY)


async def ensure_schema(engine: AsyncEngine) -> None:
    """Create missing tables, indexes and triggers; safe to run from several processes at once."""
    async with engine.connect() as conn:
        await lock_for_append(conn)
        await conn.run_sync(metadata.create_all)
        if conn.dialect.name == "sqlite":
            statements = [s for t in APPEND_ONLY for s in sqlite_triggers(t)]
        else:
            statements = [PG_FUNCTION, *(s for t in APPEND_ONLY for s in pg_triggers(t))]
        for statement in statements:
            await conn.exec_driver_sql(statement)
        await conn.commit()


async def has_schema(conn: AsyncConnection) -> bool:
    """True if the audit tables exist (read commands treat a missing trail as empty, creating nothing)."""
    names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return records.name in names


async def missing_triggers(conn: AsyncConnection) -> list[str]:
    """Audit tables that lost an append-only trigger (someone dropped it to rewrite rows)."""
    if conn.dialect.name == "sqlite":
        rows = await conn.execute(text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
        wanted = {f"{t}_no_update" for t in APPEND_ONLY} | {f"{t}_no_delete" for t in APPEND_ONLY}
    else:
        rows = await conn.execute(text("SELECT c.relname, t.tgname FROM pg_trigger t "
                                       "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"))
        wanted = {f"{t}_no_change" for t in APPEND_ONLY} | {f"{t}_no_truncate" for t in APPEND_ONLY}
    present = {name for _, name in rows}
    return sorted({name.rsplit("_no_", 1)[0] for name in wanted - present})
