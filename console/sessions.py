"""Server-side login sessions: a random cookie token whose hash is the key, a CSRF token per session,
an idle and an absolute time-out, and a lock after repeated wrong passwords (Part 11 §11.300(d))."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from console.config import ConsoleConfig
from console.tables import login_failures, metadata, sessions
from storage.engine import create_schema, write_lock

FAILURES_LOCK_KEY = 0x67786366  # PostgreSQL advisory lock serialising the failure count ("gxcf")
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_id: str
    name: str
    role: str
    csrf: str
    created_at: datetime


@dataclass(frozen=True)
class Ended:
    """The token named a session that has ended, and why (shown on the login page)."""

    user_id: str
    reason: str


class Sessions:
    def __init__(self, engine: AsyncEngine, config: ConsoleConfig) -> None:
        self.engine, self.config = engine, config

    async def create_schema(self) -> None:
        await create_schema(self.engine, metadata)

    async def open(self, user: dict[str, Any]) -> tuple[str, Session]:
        """A new session for an authenticated user: (cookie token, session)."""
        token, now = secrets.token_urlsafe(32), datetime.now(UTC)
        session = Session(_hash(token), user["user_id"], user["name"], user["role"], secrets.token_urlsafe(32), now)
        async with self.engine.begin() as conn:
            await conn.execute(insert(sessions).values(token_hash=session.token_hash, user_id=session.user_id,
                                                       name=session.name, role=session.role, csrf=session.csrf,
                                                       created_at=now, last_seen=now))
        return token, session

    async def get(self, token: str | None) -> Session | Ended | None:
        """The live session of a cookie token, touched; Ended when it timed out now; None when unknown."""
        if not token:
            return None
        key, now = _hash(token), datetime.now(UTC)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.token_hash == key))).mappings().first()
        if row is None or row["ended_at"] is not None:
            return None
        last_seen, created = _aware(row["last_seen"]), _aware(row["created_at"])
        assert last_seen is not None and created is not None
        if now - last_seen > timedelta(minutes=self.config.idle_minutes):
            await self.end(token, "idle timeout")
            return Ended(row["user_id"], "idle timeout")
        if now - created > timedelta(hours=self.config.session_hours):
            await self.end(token, "session time limit")
            return Ended(row["user_id"], "session time limit")
        if now - last_seen > TOUCH_EVERY:
            async with self.engine.begin() as conn:
                await conn.execute(update(sessions).where(sessions.c.token_hash == key).values(last_seen=now))
        return Session(key, row["user_id"], row["name"], row["role"], row["csrf"], created)

    async def end(self, token: str, reason: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(sessions).where(sessions.c.token_hash == _hash(token),
                                                      sessions.c.ended_at.is_(None))
                               .values(ended_at=datetime.now(UTC), end_reason=reason))

    # wrong passwords ------------------------------------------------------------------------
    async def locked_until(self, user_id: str) -> datetime | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(login_failures).where(login_failures.c.user_id == user_id))
                   ).mappings().first()
        until = _aware(row["locked_until"]) if row else None
        return until if until is not None and until > datetime.now(UTC) else None

    async def failed(self, user_id: str) -> tuple[int, datetime | None]:
        """Count a wrong password: (consecutive failures, locked until) once the limit is reached."""
        async with self.engine.connect() as conn:  # under the write lock: parallel guesses all count
            await write_lock(conn, FAILURES_LOCK_KEY)
            row = (await conn.execute(select(login_failures).where(login_failures.c.user_id == user_id))
                   ).mappings().first()
            locked = _aware(row["locked_until"]) if row else None
            if locked is not None and locked > datetime.now(UTC):
                return self.config.max_failures, locked  # already locked: guessing on never unlocks it
            count = (row["failures"] if row else 0) + 1
            until = (datetime.now(UTC) + timedelta(minutes=self.config.lockout_minutes)
                     if count >= self.config.max_failures else None)
            values = {"failures": 0 if until else count, "locked_until": until}
            if row is None:
                await conn.execute(insert(login_failures).values(user_id=user_id, **values))
            else:
                await conn.execute(update(login_failures).where(login_failures.c.user_id == user_id).values(**values))
            await conn.commit()
        return count, until

    async def succeeded(self, user_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(login_failures).where(login_failures.c.user_id == user_id))
