"""Running the `gxplink` CLI as a user would: a separate process, its own session, cleaned up after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

GXPLINK = [sys.executable, "-m", "gxplink"]


def cli_env() -> dict[str, str]:
    """The caller's environment without GXPLINK_* settings, so the embedded runtime is used."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GXPLINK_")}


def run(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GXPLINK, *args], capture_output=True, text=True, timeout=timeout, env=cli_env(),
                          cwd=cwd)


class Background:
    """`gxplink ARGS` in its own process group; `stop()` sends SIGTERM like a service manager."""

    def __init__(self, *args: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.out = (log_dir / f"gxplink-{args[0]}-{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}.log").open("w+")
        self.proc = subprocess.Popen([*GXPLINK, *args], stdout=self.out, stderr=subprocess.STDOUT,
                                     env={**cli_env(), **(env or {})}, start_new_session=True)

    def wait_for_endpoints(self, path: Path, keys: tuple[str, ...], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gxplink exited {self.proc.returncode}: {self.log()}")
            try:
                endpoints: dict[str, Any] = json.loads(path.read_text())
            except (OSError, ValueError):
                endpoints = {}
            if all(k in endpoints for k in keys):
                return endpoints
            time.sleep(0.2)
        raise AssertionError(f"no endpoints {keys} within {timeout}s: {self.log()}")

    def stop(self, grace: float = 20) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            return None

    def log(self) -> str:
        self.out.flush()
        self.out.seek(0)
        return self.out.read()[-3000:]


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes (other than this one) that mention marker, e.g. a data dir."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in cmd and state != "Z":
                found.append(cmd)
    return found
