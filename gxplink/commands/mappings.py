"""`gxplink mappings`: check, test and apply the declarative mappings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Declarative, versioned mappings between each system and the canonical model.",
                  no_args_is_help=True)
Site = typer.Option("default", "--site", help="Code-table site folder (mappings/code_tables/<site>)")


@app.command("check")
def check(site: str = Site) -> None:
    """Load and validate every mapping and code table against the canonical schemas, without running them."""
    from mappings.engine.catalog import check_catalog

    catalog, errors = check_catalog(site=site)
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    typer.echo(f"{len(catalog.mappings)} mappings and {len(catalog.tables)} code tables checked, "
               f"{len(errors)} error(s)")
    raise typer.Exit(1 if errors else 0)


@app.command("test")
def test(path: Path | None = typer.Argument(None, help="A mapping file or folder (default: all)"),
         site: str = Site) -> None:
    """Run the golden tests beside each mapping."""
    from mappings.engine.catalog import load_catalog
    from mappings.engine.errors import MappingError
    from mappings.engine.golden import run_golden

    try:
        catalog = load_catalog(site=site)
    except MappingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    results = run_golden(catalog, path)
    for r in results:
        typer.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.mapping} :: {r.case}" + (f"\n     {r.detail}" if r.detail else ""))
    failed = sum(not r.ok for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed or not results else 0)


@app.command("apply")
def apply(
    mapping: str | None = typer.Argument(None, help="Mapping name, e.g. lims/oru_r01 (or use --system)"),
    file: Path | None = typer.Argument(None, help="Input file (a source message, or a canonical envelope)"),
    system: str | None = typer.Option(None, "--system", help="Choose the mapping from the message itself"),
    site: str = Site,
) -> None:
    """Translate one input and print the canonical JSON (or the target message); errors go to stderr."""
    if system and file is None:
        mapping, file = None, Path(mapping) if mapping else None
    if file is None or (mapping is None) == (system is None):
        typer.echo("usage: gxplink mappings apply (MAPPING | --system SYSTEM) FILE", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(_apply(mapping, system, file, site))
    except Exception as exc:  # a CLI for operators: one clear line, never a traceback
        typer.echo(f"gxplink: {file}: {_describe(exc)}", err=True)
        raise typer.Exit(1) from None


def _apply(mapping: str | None, system: str | None, file: Path, site: str) -> str:
    from mappings.engine.catalog import load_catalog
    from mappings.engine.inbound import InboundMapping

    catalog = load_catalog(site=site)
    raw = file.read_bytes()
    chosen = catalog.select(system, raw) if system else catalog.get(str(mapping))
    if isinstance(chosen, InboundMapping):
        envelopes = [t.envelope(source=f"/gxplink/mappings/{chosen.system}", system=chosen.system,
                                actor=f"service:mapping-{chosen.system}").model_dump(mode="json", exclude_none=True)
                     for t in chosen.translate(raw)]
        return json.dumps(envelopes, indent=2)
    rendered = chosen.render(json.loads(raw))
    return rendered.decode().replace("\r", "\n") if isinstance(rendered, bytes) else json.dumps(rendered, indent=2)


def _describe(exc: Exception) -> str:
    from mappings.engine.errors import MappingError, TranslationError

    if isinstance(exc, TranslationError | MappingError | KeyError | OSError | ValueError):
        return str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
