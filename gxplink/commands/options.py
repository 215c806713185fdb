"""Options shared by several commands, so every command spells them the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

DataDir = typer.Option(None, "--data-dir", help="State directory (default: $GXPLINK_DATA_DIR or ./.gxplink)")
Secure = typer.Option(False, "--secure", help="Per-component NATS credentials (DIR/creds) and permissions, "
                      "TLS with a local CA (DIR/tls); also $GXPLINK_SECURE")
EndpointsFile = typer.Option(None, "--endpoints-file", help="Write the endpoints JSON here once everything listens")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


Format = typer.Option(OutputFormat.table, "--format", help="Output format")


def data_dir_or_default(path: Path | None) -> Path | None:
    return path.resolve() if path else None
