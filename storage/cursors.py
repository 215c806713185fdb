"""Persisted positions in legacy change feeds: a restarted adapter resumes where it was."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.schema import cursors


class CursorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, name: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(cursors.c.position).where(cursors.c.name == name))).first()
        return row[0] if row else None

    async def set(self, name: str, position: str) -> None:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(cursors).where(cursors.c.name == name).values(position=position, updated_at=now)
            )
            if changed.rowcount == 0:
                await conn.execute(cursors.insert().values(name=name, position=position, updated_at=now))
