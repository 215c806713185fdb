"""Several gxplink processes starting together on a new database all find their tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

START = """
import asyncio, sys
from pathlib import Path
from orchestrator.audit.schema import ensure_schema
from orchestrator.engine.store import WorkflowStore
from storage.engine import create_schema, default_url, make_engine

async def main() -> None:
    engines = [make_engine(default_url(Path(sys.argv[1]))) for _ in range(3)]
    await asyncio.gather(*(create_schema(e) for e in engines), *(WorkflowStore(e).create_schema() for e in engines),
                         *(ensure_schema(e) for e in engines))
    for e in engines:
        await e.dispose()

asyncio.run(main())
"""


def test_processes_creating_the_schema_at_once_do_not_race(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    starts = [subprocess.Popen([sys.executable, "-c", START, str(tmp_path)], cwd=root, stderr=subprocess.PIPE,
                               text=True) for _ in range(4)]
    failures = [err for p in starts if (err := p.communicate(timeout=60)[1]) and p.returncode != 0]
    assert failures == []
