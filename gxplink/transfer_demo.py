"""`gxplink transfer demo`: a sponsor instance and a CDMO instance on this machine, the bundled CAR-T
process transferred end to end.

Both instances run as `gxplink up --instance ...` processes under DIR/sponsor and DIR/cdmo, each with
its own NATS server, store, simulators and adapters. The sponsor's QA approves and seals the package;
it crosses the leaf link; the CDMO's desk verifies, diffs and maps it; the CDMO's QA signs the
import; the CDMO's MES, LIMS and ERP are provisioned through its adapters; the sponsor gets the
acknowledgement. Passwords of the two demo users are written under each data dir (mode 0600).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from messaging.connection import connect
from messaging.private_files import write_private
from messaging.publisher import Publisher
from orchestrator.engine.accounts import Accounts
from orchestrator.engine.signing import Signer
from orchestrator.engine.store import WorkflowStore
from orchestrator.transfer import ledger
from orchestrator.transfer.sponsor import export_package, share, write_package
from storage.engine import create_schema, default_url, make_engine

SPONSOR_QA = ("sponsor.qa", "Sam Sponsor (QA)")
CDMO_QA = ("cdmo.qa", "Casey CDMO (QA)")
TIMEOUT = 300.0


class Instance:
    """One `gxplink up --instance` process, stopped with SIGTERM like a service manager would."""

    def __init__(self, name: str, data_dir: Path, extra: list[str]) -> None:
        self.name, self.data_dir = name, data_dir
        self.endpoints_file = data_dir.parent / f"{name}-endpoints.json"
        self.endpoints_file.unlink(missing_ok=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = (data_dir.parent / f"{name}.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gxplink", "up", "--instance", name, "--data-dir",
                                      str(data_dir), "--endpoints-file", str(self.endpoints_file), *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={k: v for k, v in os.environ.items() if k != "GXPLINK_NATS_URL"})

    async def endpoints(self, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} instance exited ({self.proc.returncode}); see {self.log.name}")
            try:
                found: dict[str, Any] = json.loads(self.endpoints_file.read_text())
                if "console" in found:
                    return found
            except (OSError, ValueError):
                pass
            await asyncio.sleep(0.3)
        raise TimeoutError(f"the {self.name} instance did not come up within {timeout:.0f}s")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait(10)
        self.log.close()
        return code


async def _user(data_dir: Path, who: tuple[str, str]) -> str:
    """The demo user's password (created once, kept in a 0600 file) after making sure the user exists."""
    path = data_dir / "scenario" / f"{who[0]}-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(path, secrets.token_urlsafe(18).encode())
    password = path.read_text()
    engine = make_engine(default_url(data_dir))
    try:
        await WorkflowStore(engine).create_schema()
        await Accounts(engine).add(who[0], who[1], "qa", password)
    finally:
        await engine.dispose()
    return password


async def _sign_import(cdmo: Path, nats_url: str, transfer_id: str, password: str, say: Any) -> None:
    engine = make_engine(default_url(cdmo))
    nc = await connect(nats_url, "gxplink-transfer-demo-cdmo")
    try:
        store = WorkflowStore(engine)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for task in await store.open_tasks():
                if task["record_type"] == "transfer" and task["record_id"] == transfer_id:
                    signature = await Signer(store, Publisher(nc.jetstream())).sign(
                        task["id"], CDMO_QA[0], password, "approved", reason="diff reviewed; site codes verified")
                    say(f"CDMO: {signature.signer_name} signed '{task['title']}' (approved)")
                    return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"no approval task for {transfer_id} at the CDMO within {TIMEOUT:.0f}s")
    finally:
        await nc.close()
        await engine.dispose()


async def _acknowledged(nats_url: str, transfer_id: str, say: Any) -> list[dict[str, Any]]:
    nc = await connect(nats_url, "gxplink-transfer-demo-sponsor")
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = await ledger.statuses(nc.jetstream(), transfer_id)
            for status in found:
                if status["status"] not in seen:
                    seen.add(status["status"])
                    say(f"sponsor: the CDMO reports {status['status']}: {'; '.join(status.get('reasons', []))[:160]}")
            if seen & {"provisioned", "refused", "rejected", "failed"}:
                return found
            await asyncio.sleep(0.5)
        raise TimeoutError(f"no final status for {transfer_id} within {TIMEOUT:.0f}s")
    finally:
        await nc.close()


async def _recorded(data_dir: Path, transfer_id: str, outcome: str, timeout: float = 120.0) -> None:
    """Wait until this side's audit writer has the final status in the store (the instance is stopped next)."""
    from orchestrator.audit.query import trail

    engine = make_engine(default_url(data_dir))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = await trail(engine, transfer_id)
            if any(r["action"] == "status_reported" and any(c.get("field") == "status" and c.get("new") == outcome
                                                            for c in r["changes"]) for r in records):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{data_dir.name}'s audit trail did not record {transfer_id} {outcome} "
                           f"within {timeout:.0f}s")
    finally:
        await engine.dispose()


async def run(data_dir: Path, out: Console) -> None:
    def say(line: str) -> None:
        out.print(f"  {line}")

    data_dir = data_dir.resolve()
    sponsor_dir, cdmo_dir = data_dir / "sponsor", data_dir / "cdmo"
    sponsor = Instance("sponsor", sponsor_dir, [])
    cdmo: Instance | None = None
    try:
        ours = await sponsor.endpoints()
        out.print(f"[bold]gxplink transfer demo[/]: sponsor up (NATS {ours['nats']}, console {ours['console']})")
        cdmo = Instance("cdmo", cdmo_dir, ["--link", ours["transfer_link"]])
        theirs = await cdmo.endpoints()
        out.print(f"  CDMO up (NATS {theirs['nats']}, console {theirs['console']}), linked by a leaf node")
        sponsor_password, cdmo_password = await _user(sponsor_dir, SPONSOR_QA), await _user(cdmo_dir, CDMO_QA)

        engine = make_engine(default_url(sponsor_dir))
        try:
            await create_schema(engine)
            transfer_id = f"TT-DEMO-{secrets.token_hex(3).upper()}"
            package = await export_package(engine, sponsor_dir, approver=SPONSOR_QA[0], password=sponsor_password,
                                           transfer_id=transfer_id, sponsor_site="SPONSOR",
                                           reason="process validated; released for transfer")
        finally:
            await engine.dispose()
        path = write_package(package, sponsor_dir / "transfer" / f"{transfer_id}.json")
        say(f"sponsor: {package.definition.definition_id} v{package.definition.version} approved by "
            f"{SPONSOR_QA[1]} and sealed (sha256 {(package.content_hash or '')[:16]}...) -> {path}")
        nc = await connect(ours["nats"], "gxplink-transfer-demo-send")
        try:
            await share(nc.jetstream(), path.read_bytes(), actor=f"user:{SPONSOR_QA[0]};service:gxplink-transfer")
        finally:
            await nc.close()
        say(f"sponsor: {transfer_id} sent over the link")
        await _sign_import(cdmo_dir, theirs["nats"], transfer_id, cdmo_password, say)
        final = await _acknowledged(ours["nats"], transfer_id, say)
        outcome = final[-1]["status"]
        if outcome != "provisioned":
            raise RuntimeError(f"transfer {transfer_id} ended {outcome}: {final[-1].get('reasons')}")
        for side in (sponsor_dir, cdmo_dir):
            await _recorded(side, transfer_id, outcome)
        out.print(f"[green]transfer {transfer_id} provisioned at the CDMO[/] (MES master batch record, LIMS "
                  f"specifications and methods, ERP materials and BOM); the sponsor has the acknowledgement")
        out.print(f"  see it with: gxplink transfer status {transfer_id} --data-dir {sponsor_dir}")
        out.print(f"               gxplink audit trail {transfer_id} --data-dir {cdmo_dir}")
    finally:
        if cdmo is not None and cdmo.stop() not in (0, None):
            out.print("  the CDMO instance did not stop cleanly")
        if sponsor.stop() not in (0, None):
            out.print("  the sponsor instance did not stop cleanly")
