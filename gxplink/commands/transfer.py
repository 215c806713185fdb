"""`gxplink transfer`: tech transfer between a sponsor's instance and a CDMO's (`gxplink up --instance`)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, Format, OutputFormat, PasswordFile, read_password
from gxplink.settings import Settings

app = typer.Typer(help="Tech transfer: process-definition packages, sponsor to CDMO.", no_args_is_help=True)
Wait = typer.Option(60.0, "--wait", help="Seconds to wait for the CDMO's answer (0: do not wait)")


@app.command("export")
@friendly_errors
def export(approver: str = typer.Option(..., "--approver", help="Your user id: you approve and sign the package"),
           password_file: Path | None = PasswordFile,
           process: str = typer.Option("car-t-autologous", "--process", help="Process of the content library"),
           transfer_id: str | None = typer.Option(None, "--transfer-id", help="Default: TT-<date>-<random>"),
           site: str = typer.Option("sponsor", "--site", help="This (the sponsor's) site id"),
           reason: str | None = typer.Option(None, "--reason"),
           out: Path | None = typer.Option(None, "--out", help="Package file (default <data-dir>/transfer/<id>.json)"),
           data_dir: Path | None = DataDir) -> None:
    """Compose a process from the library, approve it with your e-signature and seal it with this instance's key."""
    from orchestrator.transfer.sponsor import export_package, write_package
    from storage.engine import default_url, make_engine

    settings = Settings().with_data_dir(data_dir)
    password = read_password(password_file, f"password for {approver}: ")
    ident = transfer_id or f"TT-{time.strftime('%Y%m%d')}-{secrets.token_hex(3).upper()}"

    async def go() -> Any:
        engine = make_engine(settings.db_url or default_url(settings.data_dir))
        try:
            return await export_package(engine, settings.data_dir, approver=approver, password=password,
                                        transfer_id=ident, sponsor_site=site, process_id=process, reason=reason)
        finally:
            await engine.dispose()

    package = asyncio.run(go())
    path = write_package(package, out or settings.data_dir / "transfer" / f"{ident}.json")
    typer.echo(f"exported {package.transfer_id}: {package.definition.definition_id} v{package.definition.version}, "
               f"sha256 {package.content_hash}, approved by {package.approval.signer_name} -> {path}")


async def _publish(settings: Settings, package_file: Path, wait: float, *, side: str) -> list[dict[str, Any]]:
    from gxplink.runtime import Runtime
    from orchestrator.transfer import ledger
    from orchestrator.transfer.sponsor import share

    raw = package_file.read_bytes()
    transfer_id = json.loads(raw)["transfer_id"]
    async with Runtime(settings, name=f"gxplink-transfer-{side}", own_server=False) as runtime:
        await share(runtime.js, raw)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            found = await ledger.statuses(runtime.js, transfer_id)
            if any(s["status"] in ("received", "refused") for s in found):
                return found
            await asyncio.sleep(0.5)
        return await ledger.statuses(runtime.js, transfer_id)


def _print_statuses(found: list[dict[str, Any]], transfer_id: str, wait: float) -> None:
    if not found:
        typer.echo(f"{transfer_id}: no answer from the CDMO yet" + (f" within {wait:.0f}s" if wait else ""))
    for status in found:
        typer.echo(f"{status['transfer_id']}: {status['status']} at {status['site']}")
        for reason in status.get("reasons", []):
            typer.echo(f"  - {reason}")


@app.command("send")
@friendly_errors
def send(package_file: Path = typer.Argument(..., help="Package file from `transfer export`"),
         data_dir: Path | None = DataDir, wait: float = Wait) -> None:
    """Share a package with the CDMO over the link (run beside the sponsor's `gxplink up --instance sponsor`)."""
    found = asyncio.run(_publish(Settings().with_data_dir(data_dir), package_file, wait, side="sponsor"))
    _print_statuses(found, json.loads(package_file.read_text())["transfer_id"], wait)
    if any(s["status"] == "refused" for s in found):
        raise SystemExit(1)


@app.command("import")
@friendly_errors
def import_(package_file: Path = typer.Argument(..., help="A package received another way (a file)"),
            data_dir: Path | None = DataDir, wait: float = Wait) -> None:
    """Hand a package file to the CDMO's desk (run beside `gxplink up --instance cdmo`): verified, diffed,
    mapped and put to QA for approval exactly as if it came over the link."""
    found = asyncio.run(_publish(Settings().with_data_dir(data_dir), package_file, wait, side="cdmo"))
    _print_statuses(found, json.loads(package_file.read_text())["transfer_id"], wait)
    if any(s["status"] == "refused" for s in found):
        raise SystemExit(1)


async def _statuses(settings: Settings, transfer_id: str | None) -> list[dict[str, Any]]:
    from gxplink.runtime import Runtime
    from orchestrator.transfer import ledger

    async with Runtime(settings, name="gxplink-transfer-status", own_server=False) as runtime:
        return await ledger.statuses(runtime.js, transfer_id)


@app.command("status")
@friendly_errors
def status(transfer_id: str | None = typer.Argument(None, help="One transfer (default: all)"),
           data_dir: Path | None = DataDir, output: OutputFormat = Format) -> None:
    """Where each transfer stands, as the CDMO reported it (on either side of the link)."""
    found = asyncio.run(_statuses(Settings().with_data_dir(data_dir), transfer_id))
    if output is OutputFormat.json:
        typer.echo(json.dumps(found, indent=2))
        return
    table = Table("transfer", "status", "site", "reasons")
    for s in found:
        table.add_row(s["transfer_id"], s["status"], s["site"], "; ".join(s.get("reasons", []))[:200])
    Console().print(table)


@app.command("diff")
@friendly_errors
def diff(first: str = typer.Argument(..., help="A transfer id (the CDMO's diff report), or an older package file"),
         second: Path | None = typer.Argument(None, help="A newer package file, to diff two files offline"),
         data_dir: Path | None = DataDir, output: OutputFormat = Format) -> None:
    """The semantic diff: parameters, ranges (after unit conversion), units, steps, materials, specifications."""
    if second is not None:
        from orchestrator.transfer.diff import diff_definitions
        from orchestrator.transfer.package import from_bytes

        report = diff_definitions(from_bytes(Path(first).read_bytes()).definition,
                                  from_bytes(second.read_bytes()).definition)
        typer.echo(json.dumps(report.to_json(), indent=2) if output is OutputFormat.json else report.render_text())
        return
    found = [s for s in asyncio.run(_statuses(Settings().with_data_dir(data_dir), first)) if s.get("diff")]
    if not found:
        raise ValueError(f"no diff report for transfer {first!r} (has the CDMO received it?)")
    report = found[-1]["diff"]
    if output is OutputFormat.json:
        typer.echo(json.dumps(report, indent=2))
    elif report.get("first_version"):
        typer.echo(f"{first}: first version at {found[-1]['site']}: nothing to compare with")
    else:
        for change in report.get("changes", []):
            typer.echo(f"[{change.get('criticality', '')}] {change.get('kind')} {change.get('path')}: "
                       f"{change.get('old')} -> {change.get('new')}")


@app.command("demo")
@friendly_errors
def demo(data_dir: Path = typer.Option(Path(".gxplink-transfer"), "--data-dir",
                                       help="Runs the sponsor under DIR/sponsor and the CDMO under DIR/cdmo")) -> None:
    """Run a sponsor and a CDMO instance and transfer the bundled CAR-T process end to end."""
    from gxplink import transfer_demo

    asyncio.run(transfer_demo.run(data_dir, Console()))
