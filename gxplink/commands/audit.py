"""`gxplink audit`: the cross-system audit trail, its correlation graph, review and verification.

`trail`, `graph`, `review` and `verify` read the database only (no NATS needed, works beside a
running `gxplink up`); `checkpoint` signs the current head; `ingest` drains JetStream into the store.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, Format, OutputFormat
from gxplink.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

app = typer.Typer(help="The audit trail: every system, one chain, tamper-evident.", no_args_is_help=True)
T = TypeVar("T")


class TrailFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    pdf = "pdf"


def _run(data_dir: Path | None, work: Callable[[AsyncEngine, Path], Awaitable[T]]) -> T:
    """Run `work(engine, keys_dir)` against the data dir's database; refuses a data dir without one."""
    from storage.engine import DB_FILE, default_url, make_engine

    settings = Settings().with_data_dir(data_dir)
    if not settings.db_url and not (settings.data_dir / DB_FILE).exists():
        raise ValueError(f"no gxplink database at {settings.data_dir / DB_FILE} (run `gxplink up` or `demo` first)")

    async def main() -> T:
        engine = make_engine(settings.db_url or default_url(settings.data_dir))
        try:
            return await work(engine, settings.data_dir / "keys")
        finally:
            await engine.dispose()

    return asyncio.run(main())


@app.command("trail")
@friendly_errors
def trail(
    ident: str = typer.Argument(..., help="Batch, lot, sample, result, deviation, CAPA, signature or transfer id"),
    data_dir: Path | None = DataDir,
    output: TrailFormat = typer.Option(TrailFormat.table, "--format", help="Output format"),
    out: Path | None = typer.Option(None, "--out", help="File to write (required for pdf)"),
    system: str | None = typer.Option(None, "--system", help="Only records of this source or target system"),
    user: str | None = typer.Option(None, "--user", help="Only records by this user or service"),
    since: str | None = typer.Option(None, "--since", help="Only records at or after this ISO time (UTC)"),
    until: str | None = typer.Option(None, "--until", help="Only records at or before this ISO time (UTC)"),
    action: str | None = typer.Option(None, "--action", help="Only records whose action contains this"),
) -> None:
    """The whole cross-system trail of an id, in time order."""
    from orchestrator.audit import query, render
    from orchestrator.audit.canonical import parse_utc

    if output is TrailFormat.pdf and out is None:
        raise ValueError("--format pdf needs --out FILE")
    filters = query.Filters(system, user, parse_utc(since) if since else None, parse_utc(until) if until else None,
                            action)
    recs, verified = _run(data_dir, lambda engine, keys: _trail(engine, keys, ident, filters, output))
    if output is TrailFormat.pdf:
        from orchestrator.audit.pdf import write_pdf

        assert out is not None
        typer.echo(f"wrote {write_pdf(recs, out, subject=ident, verified=verified)} ({len(recs)} records)")
        return
    text = {TrailFormat.json: render.to_json, TrailFormat.csv: render.trail_csv}.get(output)
    if text is None:
        render.trail_table(recs, f"Audit trail of {ident} ({len(recs)} records)")
    elif out is not None:
        out.write_text(text(recs), encoding="utf-8")
    else:
        typer.echo(text(recs), nl=output is TrailFormat.json)


async def _trail(engine: AsyncEngine, keys: Path, ident: str, filters: Any, output: TrailFormat
                 ) -> tuple[list[dict[str, Any]], str | None]:
    from orchestrator.audit import query

    recs = await query.trail(engine, ident, filters)
    if output is not TrailFormat.pdf:
        return recs, None
    report = await _verify(engine, keys)
    return recs, f"Chain verification when printed: {report.summary()}"


async def _verify(engine: AsyncEngine, keys: Path) -> Any:
    from orchestrator.audit.verify import verify_with_keys

    return await verify_with_keys(engine, keys)


@app.command("verify")
@friendly_errors
def verify_(data_dir: Path | None = DataDir, output: OutputFormat = Format) -> None:
    """Check the hash chain, the derived index and every checkpoint signature; exit 1 naming the first break."""
    report = _run(data_dir, _verify)
    if output is OutputFormat.json:
        typer.echo(json.dumps({"ok": report.ok, "records": report.records, "checkpoints": report.checkpoints,
                               "covered_upto": report.covered_upto, "summary": report.summary(),
                               "problems": report.problems}, indent=2))
    else:
        typer.echo(report.summary())
        for problem in report.problems:
            typer.echo(f"  - {problem}")
    if not report.ok:
        raise SystemExit(1)  # not typer.Exit: friendly_errors would catch that (it is a RuntimeError)


@app.command("graph")
@friendly_errors
def graph(ident: str = typer.Argument(..., help="Any business id"), data_dir: Path | None = DataDir,
          output: OutputFormat = Format) -> None:
    """The business records linked to an id (batch <-> lots <-> samples <-> results <-> deviations ...)."""
    from orchestrator.audit import query

    doc = query.graph_json(_run(data_dir, lambda engine, _keys: query.graph_of(engine, ident)))
    if output is OutputFormat.json:
        typer.echo(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "kinds", "distance", "in trail", title=f"Linked to {ident} (anchors: "
                  f"{', '.join(doc['anchors']) or 'none'})")
    for node in doc["entities"]:
        table.add_row(node["id"], ", ".join(node["kinds"]), str(node["distance"]), "yes" if node["followed"] else "")
    Console().print(table)


@app.command("review")
@friendly_errors
def review(batch: str = typer.Argument(..., help="Batch id"), data_dir: Path | None = DataDir,
           output: OutputFormat = Format,
           tolerance: float = typer.Option(5.0, "--tolerance", help="Seconds of clock difference tolerated")) -> None:
    """What a reviewer must look at before release: the exceptions in the batch's trail."""
    from orchestrator.audit import render
    from orchestrator.audit.review import review as find

    findings = _run(data_dir, lambda engine, _keys: find(engine, batch, tolerance))
    if output is OutputFormat.json:
        typer.echo(render.to_json(findings))
    else:
        render.review_table(findings, batch)


@app.command("checkpoint")
@friendly_errors
def checkpoint(data_dir: Path | None = DataDir) -> None:
    """Sign a checkpoint of the chain head now (the writer also signs every 100 records and on stop)."""
    row = _run(data_dir, _checkpoint)
    typer.echo(f"checkpoint #{row['number']} signed at record {row['upto_seq']}" if row
               else "the last checkpoint already covers the head")


async def _checkpoint(engine: AsyncEngine, keys: Path) -> dict[str, Any] | None:
    from orchestrator.audit.keys import load_or_create_signer
    from orchestrator.audit.schema import ensure_schema
    from orchestrator.audit.store import AuditStore

    await ensure_schema(engine)
    return await AuditStore(engine, await asyncio.to_thread(load_or_create_signer, keys)).checkpoint()


@app.command("ingest")
@friendly_errors
def ingest(data_dir: Path | None = DataDir,
           timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for the streams to drain")) -> None:
    """Drain what JetStream holds into the audit store once (what the writer in `gxplink up` does continuously)."""
    count = asyncio.run(_ingest(Settings().with_data_dir(data_dir), timeout))
    typer.echo(f"ingested {count} new audit record(s)")


async def _ingest(settings: Settings, timeout: float) -> int:
    from gxplink.runtime import Runtime
    from orchestrator.audit.writer import AuditWriter

    async with Runtime(settings, name="gxplink-audit") as runtime:
        writer = AuditWriter(runtime.js, runtime.engine, settings.data_dir / "keys")
        return await writer.catch_up(timeout)
