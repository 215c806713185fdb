"""A fresh SQLite database per test with the tables the console reads, and a cheap password hash.

argon2 with its production cost takes 50 to 100 ms per hash or check; the tests exercise the logic
around it, not the cost, so they swap in the cheapest argon2 parameters (hashes stay real argon2).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from console.config import ConsoleConfig
from console.sessions import Sessions
from orchestrator.audit.schema import ensure_schema
from orchestrator.engine import accounts
from orchestrator.engine.store import WorkflowStore
from storage.engine import make_engine
from tests.unit.console.fakes import FakePublisher


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()  # no cheap dummy hash left behind for other suites


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db'}")
    await WorkflowStore(engine).create_schema()  # wf_users
    await Sessions(engine, ConsoleConfig(keys_dir=tmp_path / "keys")).create_schema()
    await ensure_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def config(tmp_path: Path) -> ConsoleConfig:
    return ConsoleConfig(keys_dir=tmp_path / "keys", max_failures=5)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()
