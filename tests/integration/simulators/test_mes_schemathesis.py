"""Schemathesis, an independent OpenAPI fuzzer, finds no server error in the MES API (as the acceptance runs it,
with fewer examples per operation to keep the suite fast)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def st_binary() -> str:
    beside = Path(sys.executable).with_name("st")
    return str(beside) if beside.exists() else (shutil.which("st") or "st")


async def test_schemathesis_finds_no_server_error(start_sim: Any, tmp_path: Path) -> None:
    sim, _ = await start_sim("mes")
    endpoints = sim.endpoints()
    base, auth = endpoints["mes"], endpoints["mes_auth"]
    async with httpx.AsyncClient() as client:
        paths = (await client.get(f"{base}/openapi.json")).json()["paths"]
    operations = sum(len([m for m in ops if m != "parameters"]) for ops in paths.values())
    process = await asyncio.create_subprocess_exec(
        st_binary(), "run", f"{base}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "2",
        "--url", base, "--auth", f"{auth['username']}:{auth['password']}", "--generation-database", "none",
        "--seed", "1", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path)
    raw, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    out = raw.decode(errors="replace")
    assert process.returncode == 0, out[-4000:]
    tested = re.search(r"Tested:\s+(\d+)", out)
    assert tested and int(tested.group(1)) == operations >= 25, out[-2000:]
