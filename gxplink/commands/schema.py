"""`gxplink schema export`: the message contract as JSON Schemas and an AsyncAPI document."""

from __future__ import annotations

from pathlib import Path

import typer

from gxplink.commands.errors import friendly_errors

app = typer.Typer(help="The canonical message contract.", no_args_is_help=True)


@app.command("export")
@friendly_errors
def export(directory: Path = typer.Argument(..., help="Directory to write the schemas into")) -> None:
    """Write one JSON Schema per event and command type, and asyncapi.yaml for every subject."""
    from canonical_model.schema import export_json_schemas
    from messaging.asyncapi import write_asyncapi

    written = export_json_schemas(directory)
    spec = write_asyncapi(directory / "asyncapi.yaml")
    typer.echo(f"wrote {len(written)} JSON Schemas and {spec.name} to {directory}")
