"""Installation and operational qualification facts, read off the machine the report is made on.

IQ: what is installed (Python, every distribution with a hash of its installed file list, the
nats-server binary and its version, the database) and how it is configured (settings, never
secrets). OQ: the run itself (when, where, by whom, which command) beside the test results.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

SECRET_WORDS = ("password", "secret", "token", "key", "creds")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    record_sha256: str  # of the distribution's RECORD (which lists every installed file with its hash)


@dataclass
class Installation:
    python: str
    executable: str
    platform: str
    packages: list[Package]
    nats_server: dict[str, str]
    database: dict[str, str]
    configuration: dict[str, str]


@dataclass
class Run:
    started: str
    finished: str
    host: str
    user: str
    command: str
    cwd: str
    extra: dict[str, Any] = field(default_factory=dict)


def _record_hash(dist: Any) -> str:
    record = dist.read_text("RECORD") or dist.read_text("installed-files.txt") or ""
    return hashlib.sha256(record.encode()).hexdigest() if record else "(no file list)"


def packages() -> list[Package]:
    found = {(d.metadata["Name"] or "?").lower(): d for d in distributions()}
    return [Package(name, found[name].version, _record_hash(found[name])) for name in sorted(found)]


def nats_server() -> dict[str, str]:
    from messaging.embedded import nats_server_binary

    try:
        binary = nats_server_binary()
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
        digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    except Exception as exc:  # the report states what it could not read
        return {"error": str(exc)}
    return {"binary": str(binary), "version": version.strip(), "sha256": digest}


def database(db_url: str | None, data_dir: Path) -> dict[str, str]:
    if not db_url:
        return {"kind": "SQLite (embedded default)", "version": sqlite3.sqlite_version,
                "location": str((data_dir / "gxplink.db").resolve())}
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(db_url)
        with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                             dbname=url.database, connect_timeout=10) as conn:
            version = str(conn.execute("SELECT version()").fetchone()[0])  # type: ignore[index]
        return {"kind": "PostgreSQL", "version": version, "location": url.render_as_string(hide_password=True)}
    except Exception as exc:
        return {"kind": "configured", "error": str(exc)}


def configuration(settings: Any) -> dict[str, str]:
    """The effective settings, with anything that looks like a secret left out."""
    values = settings.model_dump(mode="json")
    return {f"GXPLINK_{k.upper()}": ("(set, not shown)" if any(w in k for w in SECRET_WORDS) and v else str(v))
            for k, v in sorted(values.items())}


def installation(settings: Any) -> Installation:
    return Installation(python=sys.version.split()[0], executable=sys.executable, platform=platform.platform(),
                        packages=packages(), nats_server=nats_server(),
                        database=database(settings.db_url, settings.data_dir), configuration=configuration(settings))


def run_facts(started: datetime, finished: datetime, command: list[str], cwd: Path) -> Run:
    try:
        user = getpass.getuser()
    except Exception:
        user = "?"
    return Run(started=started.astimezone(UTC).isoformat(timespec="seconds"),
               finished=finished.astimezone(UTC).isoformat(timespec="seconds"), host=socket.gethostname(),
               user=user, command=" ".join(command), cwd=str(cwd))
