"""A fresh SQLite audit store per test, with its signing key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit.keys import Signer, load_or_create_signer
from orchestrator.audit.schema import ensure_schema
from orchestrator.audit.store import AuditStore
from storage.engine import default_url, make_engine


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def signer(keys_dir: Path) -> Signer:
    return load_or_create_signer(keys_dir)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(default_url(tmp_path))
    await ensure_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine, signer: Signer) -> AuditStore:
    return AuditStore(engine, signer, checkpoint_every=10)
