"""Reading the trail: the records linked to an id, in time order, as the CLI contract presents them.

Each record is one message or action: `id` is the CloudEvents id of the message it stands for (or
its own id), so a message recorded twice would show twice. Reads need the database only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import utc_text
from orchestrator.audit.graph import Graph, linked
from orchestrator.audit.schema import has_schema, record_entities, records

CHUNK = 500


@dataclass(frozen=True)
class Filters:
    system: str | None = None
    user: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None

    def keep(self, row: dict[str, Any]) -> bool:
        if self.system and self.system not in (row["source_system"], row["target_system"]):
            return False
        if self.user and not (self.user in (row["user_id"], row["service_id"])
                              or self.user.lower() in (row["source_user"] or "").lower()):
            return False
        if self.since and row["source_time"] < utc_text(self.since):
            return False
        if self.until and row["source_time"] > utc_text(self.until):
            return False
        return not (self.action and self.action.lower() not in row["action"].lower())


def present(row: dict[str, Any]) -> dict[str, Any]:
    """The public JSON form of a stored record (see the acceptance README's `audit trail` contract)."""
    return {
        "id": row["record_id"], "seq": row["seq"], "kind": row["kind"], "time": row["source_time"],
        "receivedtime": row["received_time"], "recordedtime": row["recorded_time"],
        "clockoffsetseconds": row["clock_offset"], "sourcesystem": row["source_system"],
        "targetsystem": row["target_system"], "actor": row["actor"], "user": row["user_id"],
        "service": row["service_id"], "sourceuser": row["source_user"], "action": row["action"],
        "recordtype": row["record_type"], "recordid": row["record_ref"], "changes": json.loads(row["changes"]),
        "reason": row["reason"], "source": row["adapter"], "subject": row["subject"],
        "type": row["message_type"], "mapping": row["mapping_version"], "correlationid": row["correlation_id"],
        "causationid": row["causation_id"], "traceid": row["trace_id"],
        "correlation": ent.by_kind(json.loads(row["entities"])), "previoushash": row["prev_hash"],
        "hash": row["hash"],
    }


async def rows_for(conn: AsyncConnection, ids: set[str], also_record: str | None = None) -> list[dict[str, Any]]:
    """Stored rows whose entities include any of `ids` (plus the record whose own id is `also_record`)."""
    seqs: set[int] = set()
    wanted = sorted(ids)
    for i in range(0, len(wanted), CHUNK):
        query = select(record_entities.c.seq).where(record_entities.c.entity_id.in_(wanted[i:i + CHUNK]))
        seqs.update(int(s) for s in (await conn.execute(query)).scalars())
    if also_record:
        query = select(records.c.seq).where(records.c.record_id == also_record)
        seqs.update(int(s) for s in (await conn.execute(query)).scalars())
    rows: list[dict[str, Any]] = []
    ordered = sorted(seqs)
    for i in range(0, len(ordered), CHUNK):
        query = select(records).where(records.c.seq.in_(ordered[i:i + CHUNK]))
        rows.extend(dict(r) for r in (await conn.execute(query)).mappings())
    rows.sort(key=lambda r: (r["source_time"], r["seq"]))
    return rows


async def trail(engine: AsyncEngine, ident: str, filters: Filters | None = None) -> list[dict[str, Any]]:
    """The cross-system trail of `ident` in time order, filtered; [] when nothing is linked."""
    filters = filters or Filters()
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return []
        graph = await linked(conn, ident)
        rows = await rows_for(conn, graph.followed | {ident}, also_record=ident)
    return [present(row) for row in rows if filters.keep(row)]


async def graph_of(engine: AsyncEngine, ident: str) -> Graph:
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return Graph(ident)
        return await linked(conn, ident)


def graph_json(graph: Graph) -> dict[str, Any]:
    return {
        "id": graph.start, "anchors": sorted(graph.anchors),
        "entities": [{"id": n.id, "kinds": sorted(n.kinds), "distance": n.distance, "followed": n.followed}
                     for n in sorted(graph.nodes.values(), key=lambda n: (n.distance, n.id))],
        "links": [list(edge) for edge in sorted(graph.edges)],
    }


async def search(engine: AsyncEngine, filters: Filters, limit: int = 500) -> list[dict[str, Any]]:
    """The newest `limit` records that pass `filters` (no id to follow), in time order."""
    clauses = []
    if filters.system:
        clauses.append(or_(records.c.source_system == filters.system, records.c.target_system == filters.system))
    if filters.user:
        clauses.append(or_(records.c.user_id == filters.user, records.c.service_id == filters.user,
                           func.lower(records.c.source_user).contains(filters.user.lower(), autoescape=True)))
    if filters.since:
        clauses.append(records.c.source_time >= utc_text(filters.since))
    if filters.until:
        clauses.append(records.c.source_time <= utc_text(filters.until))
    if filters.action:
        clauses.append(func.lower(records.c.action).contains(filters.action.lower(), autoescape=True))
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return []
        query = select(records).where(*clauses).order_by(records.c.seq.desc()).limit(limit)
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    rows.sort(key=lambda r: (r["source_time"], r["seq"]))
    return [present(row) for row in rows]


async def record(engine: AsyncEngine, record_id: str) -> dict[str, Any] | None:
    """One record as presented, plus the stored message or action it stands for (`content`)."""
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return None
        row = (await conn.execute(select(records).where(records.c.record_id == record_id))).mappings().first()
    return {**present(dict(row)), "content": json.loads(row["content"])} if row else None


async def recent(engine: AsyncEngine, limit: int = 2000) -> list[dict[str, Any]]:
    """The newest `limit` records that carry a correlation id, newest first (what a status board starts from)."""
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return []
        query = (select(records.c.seq, records.c.correlation_id, records.c.source_system, records.c.target_system,
                        records.c.kind, records.c.message_type, records.c.action, records.c.record_type,
                        records.c.source_time)
                 .where(records.c.correlation_id.is_not(None)).order_by(records.c.seq.desc()).limit(limit))
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def of_type(engine: AsyncEngine, message_type: str, limit: int = 500) -> list[dict[str, Any]]:
    """The newest `limit` records of one message type (any version), newest first, with their content."""
    async with engine.connect() as conn:
        if not await has_schema(conn):
            return []
        query = (select(records).where(records.c.message_type.startswith(f"{message_type}.v", autoescape=True))
                 .order_by(records.c.seq.desc()).limit(limit))
        return [{**present(dict(r)), "content": json.loads(r["content"])}
                for r in (await conn.execute(query)).mappings()]
