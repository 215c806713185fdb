"""Reading and appending workflow state. Appends are idempotent (unique keys), so an orchestrator
that crashed after writing and before moving on writes nothing twice when it resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.engine.replay import Recorded
from orchestrator.engine.tables import history, inbox, instances, metadata, signatures, tasks
from storage.engine import create_schema


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _row(row: Any) -> dict[str, Any]:
    """A row as a dict, with SQLite's naive datetimes made UTC-aware again."""
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


class WorkflowStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_schema(self) -> None:
        await create_schema(self.engine, metadata)

    async def _insert(self, table: Any, **values: Any) -> bool:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True

    # instances ---------------------------------------------------------------------------
    async def create_instance(self, **values: Any) -> bool:
        """False when the instance exists already (its id derives from what started it)."""
        return await self._insert(instances, status="running", started_at=utcnow(), **values)

    async def instance(self, instance_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(instances).where(instances.c.id == instance_id))).mappings().first()
        return _row(row) if row else None

    async def instances_for_key(self, workflow: str, key: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(instances).where(
                and_(instances.c.workflow == workflow, instances.c.business_key == key)))).mappings().all()
        return [_row(r) for r in rows]

    async def list_instances(self, status: str | None = None) -> list[dict[str, Any]]:
        query = select(instances).order_by(instances.c.started_at)
        if status:
            query = query.where(instances.c.status == status)
        async with self.engine.connect() as conn:
            return [_row(r) for r in (await conn.execute(query)).mappings().all()]

    async def claim(self, owner: str, lease_seconds: float) -> list[dict[str, Any]]:
        """Lease running instances that nobody (else) holds; several orchestrators never run one twice."""
        now = utcnow()
        until = now + timedelta(seconds=lease_seconds)
        free = or_(instances.c.lease_until.is_(None), instances.c.lease_until < now, instances.c.lease_owner == owner)
        async with self.engine.begin() as conn:
            await conn.execute(update(instances).where(and_(instances.c.status == "running", free))
                               .values(lease_owner=owner, lease_until=until))
            rows = (await conn.execute(select(instances).where(and_(
                instances.c.status == "running", instances.c.lease_owner == owner)))).mappings().all()
        return [_row(r) for r in rows]

    async def finish(self, instance_id: str, status: str, result: str | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(instances).where(instances.c.id == instance_id)
                               .values(status=status, result=result, ended_at=utcnow(), lease_owner=None,
                                       lease_until=None))

    async def release(self, owner: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(instances).where(instances.c.lease_owner == owner)
                               .values(lease_owner=None, lease_until=None))

    # history -----------------------------------------------------------------------------
    async def record(self, instance_id: str, seq: int, phase: str, step: str, kind: str,
                     payload: dict[str, Any]) -> bool:
        return await self._insert(history, instance_id=instance_id, seq=seq, phase=phase, step=step, kind=kind,
                                  payload=payload, at=utcnow())

    async def history(self, instance_id: str) -> tuple[list[Recorded], dict[int, dict[str, Any]]]:
        """The recorded steps in order, and the issued payload of each step."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(history).where(history.c.instance_id == instance_id)
                                       .order_by(history.c.seq, history.c.id))).mappings().all()
        issued: dict[int, dict[str, Any]] = {}
        resolved: dict[int, dict[str, Any]] = {}
        for row in rows:
            (issued if row["phase"] == "issued" else resolved)[row["seq"]] = dict(row)
        steps = []
        for seq in sorted(issued):
            i, r = issued[seq], resolved.get(seq)
            steps.append(Recorded(seq, i["step"], i["kind"], _aware(i["at"]) or utcnow(),
                                  r["payload"] if r else None, _aware(r["at"]) if r else None))
        return steps, {seq: dict(i["payload"]) for seq, i in issued.items()}

    async def consumed_events(self, instance_id: str) -> set[str]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(history.c.payload).where(and_(
                history.c.instance_id == instance_id, history.c.phase == "resolved")))).all()
        consumed: set[str] = set()
        for (payload,) in rows:
            if isinstance(payload, dict):
                consumed |= {payload["event_id"]} if payload.get("event_id") else set()
                consumed |= set(payload.get("event_ids") or ())
        return consumed

    # inbox -------------------------------------------------------------------------------
    async def add_to_inbox(self, envelope: dict[str, Any]) -> bool:
        return await self._insert(inbox, event_id=envelope["id"], type=envelope["type"],
                                  correlationid=envelope.get("correlationid"), causationid=envelope.get("causationid"),
                                  envelope=envelope, received_at=utcnow())

    async def replies_to(self, command_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(inbox.c.envelope).where(inbox.c.causationid == command_id)
                                       .order_by(inbox.c.id))).all()
        return [r[0] for r in rows]

    async def events_of_types(self, types: tuple[str, ...], correlationid: str | None) -> list[dict[str, Any]]:
        query = select(inbox.c.envelope).where(inbox.c.type.in_(types)).order_by(inbox.c.id)
        if correlationid is not None:
            query = query.where(inbox.c.correlationid == correlationid)
        async with self.engine.connect() as conn:
            return [r[0] for r in (await conn.execute(query)).all()]

    # tasks and signatures -------------------------------------------------------------------
    async def add_task(self, **values: Any) -> bool:
        return await self._insert(tasks, created_at=utcnow(), **values)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).mappings().first()
        return _row(row) if row else None

    async def open_tasks(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(tasks).where(tasks.c.id.not_in(select(signatures.c.task_id)))
                                       .order_by(tasks.c.created_at))).mappings().all()
        return [_row(r) for r in rows]

    async def tasks_of(self, instance_id: str) -> list[dict[str, Any]]:
        """An instance's tasks, each with its signature (None while open)."""
        query = (select(tasks, signatures.c.signature).select_from(tasks.outerjoin(signatures,
                                                                                  signatures.c.task_id == tasks.c.id))
                 .where(tasks.c.instance_id == instance_id).order_by(tasks.c.seq))
        async with self.engine.connect() as conn:
            return [_row(r) for r in (await conn.execute(query)).mappings().all()]

    async def add_signature(self, task_id: str, signature: dict[str, Any]) -> bool:
        return await self._insert(signatures, task_id=task_id, signature=signature, signed_at=utcnow())

    async def signature(self, task_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(signatures.c.signature).where(signatures.c.task_id == task_id))).first()
        return row[0] if row else None
