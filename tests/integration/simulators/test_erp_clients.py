"""Independent clients against the ERP simulator: schemathesis fuzzing its OpenAPI, and the gxplink CLI."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent


async def run(*args: str | Path, cwd: Path, timeout: float = 240) -> tuple[int, str]:
    """A client process in its own directory (schemathesis leaves a .schemathesis cache behind)."""
    proc = await asyncio.create_subprocess_exec(*map(str, args), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT, cwd=cwd)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(errors="replace")


async def test_schemathesis_finds_no_server_error(start_sim: Callable[..., Awaitable[tuple[Any, str]]],
                                                  tmp_path: Path) -> None:
    """Two runs side by side: every operation (basic auth), and boundary/negative values (bearer token)."""
    sim, _ = await start_sim("erp")
    auth = sim.endpoints()["erp_auth"]
    base = [BIN / "st", "run", f"{sim.url}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "5",
            "--url", sim.url, "--generation-database", "none"]
    results = await asyncio.gather(
        run(*base, "--phases", "examples,fuzzing", "--auth", f"{auth['username']}:{auth['password']}", cwd=tmp_path),
        run(*base, "--phases", "coverage", "--include-path-regex", "^/lots/\\{lot_id\\}$|^/changes$",
            "-H", f"Authorization: Bearer {auth['token']}", cwd=tmp_path))
    for rc, out in results:
        counts = re.search(r"(\d+) generated, (\d+) passed", out)
        assert rc == 0 and counts and int(counts[2]) >= 100, out[-3000:]


async def test_gxplink_cli_runs_the_erp_alone(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "endpoints.json"
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "gxplink"), "sim", "erp", "--data-dir", str(tmp_path / "data"), "--endpoints-file",
        str(endpoints_file), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        for _ in range(300):
            if endpoints_file.exists() or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        sim = json.loads(endpoints_file.read_text())["sim"]
        auth = sim["erp_auth"]
        async with httpx.AsyncClient(base_url=sim["erp"]) as client:
            assert (await client.get("/openapi.json")).status_code == 200
            assert (await client.get("/lots")).status_code == 401
            lots = await client.get("/lots", auth=(auth["username"], auth["password"]))
            assert lots.status_code == 200 and lots.json()["value"]
        secret = next((tmp_path / "data").rglob("credentials.json"))
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and auth["password"] in secret.read_text()
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
