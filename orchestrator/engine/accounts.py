"""The people who sign and who log in to the console: one user id, one argon2 password hash, one role.

Part 11 wants the same identification for logging in and for signing (§11.200(a)), so the console's
logins and the signatures on human tasks check the same table. User ids are never reused (§11.100(a)).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.engine.tables import users

ROLES = ("auditor", "qa", "operator", "admin")
USER_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")  # what an actor (user:<id>) and the users table can carry
MIN_PASSWORD = 12
_hasher = PasswordHasher()


class AccountError(Exception):
    """A user could not be created or did not authenticate."""


class Accounts:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, user_id: str, name: str, role: str, password: str) -> bool:
        """False when the user id exists already (ids are never reused, so never overwritten)."""
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        if not USER_ID.match(user_id):
            raise AccountError(f"user id {user_id[:100]!r}: 1 to 100 letters, digits and . _ @ - (no spaces)")
        if not name.strip():
            raise AccountError("a user needs a printed name")
        digest = await asyncio.to_thread(_hasher.hash, password)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(users).values(user_id=user_id, name=name, role=role, password_hash=digest,
                                                        created_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True

    async def get(self, user_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.user_id == user_id))).mappings().first()
        return dict(row) if row else None

    async def all(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(users.c.user_id, users.c.name, users.c.role, users.c.created_at)
                                       .order_by(users.c.user_id))).mappings()
            return [dict(r) for r in rows]

    async def authenticate(self, user_id: str, password: str) -> dict[str, Any]:
        """The user's row when the password is right; AccountError (saying no more) otherwise."""
        row = await self.get(user_id)
        try:  # argon2 is slow on purpose: a worker thread, so the event loop (and the workflows) go on
            if row is None:
                await asyncio.to_thread(_hasher.verify, _dummy_hash(), password)  # same time for unknown users
                raise AccountError("user id or password is wrong")
            await asyncio.to_thread(_hasher.verify, row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            raise AccountError("user id or password is wrong") from None
        return row


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not the password of anyone")
