"""`gxplink validate`: the validation evidence: requirements, the report, its signature."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path

import typer

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, PasswordFile, read_password
from gxplink.settings import Settings

app = typer.Typer(help="Validation evidence: traceability, IQ/OQ, signed reports.", no_args_is_help=True)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


@app.command("requirements")
@friendly_errors
def requirements() -> None:
    """The requirements gxplink is validated against (validation/requirements.yaml)."""
    from validation.requirements import load

    found = load()
    typer.echo(f"requirements version {found.version}")
    for r in found.requirements:
        refs = f" [{', '.join(r.refs)}]" if r.refs else ""
        typer.echo(f"{r.id}  {r.risk:6}  {r.title}{refs}")


@app.command("report")
@friendly_errors
def report(
    output: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html or pdf"),
    out: Path | None = typer.Option(None, "--out", help="Report file (default validation-report.<format>)"),
    tests: Path = typer.Option(Path("tests"), "--tests", help="The project's tests (run from a gxplink checkout)"),
    data_dir: Path | None = DataDir,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when a requirement is not proven"),
) -> None:
    """Run the requirement-linked tests; write the traceability matrix, IQ and OQ, and flag what is not proven."""
    from validation.report import build, run_tests, write

    evidence, command, started, finished = run_tests(tests, [])
    built = build(Settings().with_data_dir(data_dir), evidence, command, started, finished)
    target = out or Path(f"validation-report.{output.value}")
    digest = write(built, target, output.value)
    s = built.summary
    typer.echo(f"wrote {target} (sha256 {digest}): {s['proven']}/{s['requirements']} requirements proven, "
               f"{s['failed']} failed, {s['not proven']} not proven; {s['tests passed']}/{s['tests']} tests passed")
    for trace in built.flagged:
        typer.echo(f"  {trace.requirement.id} {trace.status}: {trace.requirement.title}")
    if strict and built.flagged:
        raise SystemExit(1)


@app.command("sign")
@friendly_errors
def sign(report_file: Path = typer.Argument(..., help="The report to sign"),
         user: str = typer.Option(..., "--user", help="Your user id"),
         meaning: str = typer.Option(..., "--meaning", help="reviewed or approved"),
         reason: str | None = typer.Option(None, "--reason"),
         password_file: Path | None = PasswordFile,
         data_dir: Path | None = DataDir) -> None:
    """Sign a report with your password again (21 CFR 11.200): the signature is bound to the report's sha256."""
    from orchestrator.engine.accounts import Accounts
    from storage.engine import default_url, make_engine
    from validation.signing import sign as sign_report

    password = read_password(password_file, f"password for {user}: ")
    settings = Settings().with_data_dir(data_dir)

    async def authenticate() -> dict[str, str]:
        engine = make_engine(settings.db_url or default_url(settings.data_dir))
        try:
            row = await Accounts(engine).authenticate(user, password)
            return {"user_id": row["user_id"], "name": row["name"]}
        finally:
            await engine.dispose()

    signature = sign_report(report_file, asyncio.run(authenticate()), meaning, reason)
    typer.echo(f"signed {report_file.name} (sha256 {signature.record_hash}) by {signature.signer_name} at "
               f"{signature.signed_at.isoformat(timespec='seconds')} meaning {signature.meaning}")


@app.command("verify")
@friendly_errors
def verify(report_file: Path = typer.Argument(..., help="The report to check")) -> None:
    """Check the report against its sha256 and its signatures; exit 1 when anything does not match."""
    from validation.signing import verify as verify_report

    ok, lines = verify_report(report_file)
    for line in lines:
        typer.echo(line)
    if not ok:
        raise SystemExit(1)
