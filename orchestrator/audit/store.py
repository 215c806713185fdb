"""The audit store's API: append, checkpoint, read one record; never update nor delete.

`update` and `delete` exist only to refuse: an attempt is itself appended as an audit record
(who tried what on which record) and then raises `AppendOnlyError`, because an attempt to rewrite
history is exactly what an auditor wants to see.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.ids import new_id
from orchestrator.audit import chain
from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import now_text
from orchestrator.audit.checkpoints import last_checkpoint, write_checkpoint
from orchestrator.audit.derive import parse_actor
from orchestrator.audit.draft import Change, Draft
from orchestrator.audit.keys import Signer
from orchestrator.audit.schema import lock_for_append, records

CHECKPOINT_EVERY = 100


class AppendOnlyError(RuntimeError):
    """Audit records are never updated or deleted."""


class AuditStore:
    def __init__(self, engine: AsyncEngine, signer: Signer | None = None,
                 checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self.engine, self.signer, self.checkpoint_every = engine, signer, checkpoint_every

    async def append(self, drafts: Sequence[Draft]) -> chain.Appended:
        """Append drafts not yet stored (by record id), signing a checkpoint every `checkpoint_every` records."""
        if not drafts:
            return chain.Appended()
        async with self.engine.connect() as conn:
            return await chain.append(conn, drafts, self.signer, self.checkpoint_every)

    async def checkpoint(self) -> dict[str, Any] | None:
        """Sign the current head unless the last checkpoint already covers it; the new row, or None."""
        if self.signer is None:
            raise RuntimeError("checkpoints need the audit signing key")
        async with self.engine.connect() as conn:
            await lock_for_append(conn)
            seq, head_hash = await chain.head(conn)
            last = await last_checkpoint(conn)
            if seq == 0 or (last is not None and last["upto_seq"] >= seq):
                await conn.rollback()
                return None
            row = await write_checkpoint(conn, self.signer, seq, head_hash)
            await conn.commit()
            return row

    async def get(self, record_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(records).where(records.c.record_id == record_id))).mappings().first()
        return dict(row) if row else None

    async def update(self, record_id: str, values: dict[str, Any], *, actor: str) -> NoReturn:
        """Refuse to change a record; the attempt (with the values tried) is recorded."""
        target = await self.get(record_id)
        changes = [Change(k, (target or {}).get(k), v) for k, v in sorted(values.items())]
        await self._refuse("update_refused", record_id, target, changes, actor)

    async def delete(self, record_id: str, *, actor: str) -> NoReturn:
        """Refuse to delete a record; the attempt is recorded."""
        await self._refuse("delete_refused", record_id, await self.get(record_id), [], actor)

    async def _refuse(self, action: str, record_id: str, target: dict[str, Any] | None, changes: list[Change],
                      actor: str) -> NoReturn:
        user, service = parse_actor(actor)
        now = now_text()
        draft = Draft(
            record_id=new_id(), kind="action", source_system="gxplink", action=action, record_type="audit_record",
            record_ref=record_id, source_time=now, received_time=now, actor=actor, user_id=user,
            service_id=service, changes=changes, reason="audit records are append-only (21 CFR 11.10(e))",
            correlation_id=(target or {}).get("correlation_id"),
            entities=ent.encode([(k, i) for k, i in json.loads((target or {}).get("entities") or "[]")]
                                + [("audit_record", record_id)]),
            content={"attempted": action.removesuffix("_refused"), "record_id": record_id,
                     "found": target is not None},
        )
        await self.append([draft])
        raise AppendOnlyError(f"audit record {record_id} cannot be {action.removesuffix('_refused')}d: "
                              "the trail is append-only (the attempt was recorded)")
