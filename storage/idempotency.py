"""Remembering executed commands: the second delivery of a command returns the first outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.schema import idempotency_keys


class IdempotencyStore:
    def __init__(self, engine: AsyncEngine, scope: str) -> None:
        self.engine, self.scope = engine, scope

    async def outcome(self, key: str) -> tuple[bool, Any]:
        """(seen before, recorded outcome)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                select(idempotency_keys.c.outcome).where(idempotency_keys.c.key == key)
            )).first()
        return (True, row[0]) if row else (False, None)

    async def record(self, key: str, outcome: Any) -> bool:
        """Record the outcome of the first execution; False if another execution recorded it first."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(idempotency_keys.insert().values(
                    key=key, scope=self.scope, outcome=outcome, recorded_at=datetime.now(UTC)
                ))
        except IntegrityError:
            return False
        return True
