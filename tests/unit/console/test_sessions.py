"""Server-side sessions on a real SQLite file: time-outs, the stored token hash, and the lockout count."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from console.config import ConsoleConfig
from console.sessions import TOUCH_EVERY, Ended, Session, Sessions
from console.tables import login_failures, sessions

pytestmark = pytest.mark.unit
USER = {"user_id": "alice", "name": "Alice Analyst", "role": "qa"}


async def _age(engine: AsyncEngine, token: str, *, idle: timedelta = timedelta(), age: timedelta = timedelta()) -> None:
    """Move a session back in time instead of waiting: last seen `idle` ago, created `age` ago."""
    now = datetime.now(UTC)
    key = hashlib.sha256(token.encode()).hexdigest()
    async with engine.begin() as conn:
        await conn.execute(update(sessions).where(sessions.c.token_hash == key)
                           .values(last_seen=now - idle, created_at=now - age))


async def _row(engine: AsyncEngine) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(sessions))).mappings().one()
    return dict(row)


async def test_an_open_session_is_found_by_its_cookie_token(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, opened = await store.open(USER)
    found = await store.get(token)
    assert isinstance(found, Session)
    assert (found.user_id, found.name, found.role, found.csrf) == ("alice", "Alice Analyst", "qa", opened.csrf)
    assert found.token_hash == opened.token_hash and found.created_at.tzinfo is not None


async def test_each_session_gets_its_own_token_and_csrf(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    (t1, s1), (t2, s2) = await store.open(USER), await store.open(USER)
    assert t1 != t2 and s1.csrf != s2.csrf and s1.csrf != t1


@pytest.mark.parametrize("token", [None, "", "no-such-token"])
async def test_no_or_unknown_token_is_no_session(engine: AsyncEngine, config: ConsoleConfig, token: str | None) -> None:
    store = Sessions(engine, config)
    await store.open(USER)
    assert await store.get(token) is None


async def test_only_the_hash_of_the_cookie_token_is_stored(engine: AsyncEngine, config: ConsoleConfig) -> None:
    """A copy of the table must log no one in."""
    token, _ = await Sessions(engine, config).open(USER)
    row = await _row(engine)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in row.values()}


async def test_an_ended_session_is_gone(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, _ = await store.open(USER)
    await store.end(token, "logout")
    assert await store.get(token) is None
    row = await _row(engine)
    assert row["end_reason"] == "logout" and row["ended_at"] is not None


async def test_ending_twice_keeps_the_first_reason(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, _ = await store.open(USER)
    await store.end(token, "logout")
    await store.end(token, "idle timeout")
    assert (await _row(engine))["end_reason"] == "logout"


@pytest.mark.requirement("P11-013")
async def test_idle_timeout_ends_the_session_once_and_says_why(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, _ = await store.open(USER)
    await _age(engine, token, idle=timedelta(minutes=config.idle_minutes, seconds=1))
    assert await store.get(token) == Ended("alice", "idle timeout")
    assert await store.get(token) is None  # ended now: the next request is simply logged out
    assert (await _row(engine))["end_reason"] == "idle timeout"


async def test_a_tiny_idle_limit_from_the_config_is_honoured(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, replace(config, idle_minutes=0.0))
    token, _ = await store.open(USER)
    assert await store.get(token) == Ended("alice", "idle timeout")


async def test_an_active_session_still_ends_after_session_hours(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, _ = await store.open(USER)
    await _age(engine, token, age=timedelta(hours=config.session_hours, seconds=1))  # last seen just now
    assert await store.get(token) == Ended("alice", "session time limit")
    assert await store.get(token) is None


async def test_use_moves_last_seen_forward_but_not_on_every_request(engine: AsyncEngine,
                                                                     config: ConsoleConfig) -> None:
    store = Sessions(engine, config)
    token, _ = await store.open(USER)
    await _age(engine, token, idle=TOUCH_EVERY / 2)
    before = (await _row(engine))["last_seen"]
    assert isinstance(await store.get(token), Session)
    assert (await _row(engine))["last_seen"] == before  # within TOUCH_EVERY: no write
    await _age(engine, token, idle=TOUCH_EVERY * 2)
    assert isinstance(await store.get(token), Session)
    seen = (await _row(engine))["last_seen"]
    assert isinstance(seen, datetime)
    assert datetime.now(UTC) - seen.replace(tzinfo=UTC) < TOUCH_EVERY


@pytest.mark.requirement("P11-013")
async def test_failures_lock_the_account_at_max_failures(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, replace(config, max_failures=3, lockout_minutes=15))
    assert await store.failed("alice") == (1, None)
    assert await store.failed("alice") == (2, None)
    assert await store.locked_until("alice") is None
    count, until = await store.failed("alice")
    assert count == 3 and until is not None
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    locked = await store.locked_until("alice")
    assert locked is not None and abs(locked - until) < timedelta(seconds=1)
    assert await store.locked_until("bob") is None  # per user id


async def test_success_clears_the_failure_count_and_the_lock(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, replace(config, max_failures=2))
    await store.failed("alice")
    await store.failed("alice")
    assert await store.locked_until("alice") is not None
    await store.succeeded("alice")
    assert await store.locked_until("alice") is None
    assert await store.failed("alice") == (1, None)  # counting starts again


async def test_a_lock_expires_after_lockout_minutes(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, replace(config, max_failures=1))
    _, until = await store.failed("alice")
    assert until is not None
    async with engine.begin() as conn:
        await conn.execute(update(login_failures).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert await store.locked_until("alice") is None


async def test_wrong_passwords_sent_in_parallel_still_lock(engine: AsyncEngine, config: ConsoleConfig) -> None:
    store = Sessions(engine, replace(config, max_failures=5))
    await store.failed("alice")
    outcomes = await asyncio.gather(*(store.failed("alice") for _ in range(8)), return_exceptions=True)
    assert await store.locked_until("alice") is not None, outcomes
