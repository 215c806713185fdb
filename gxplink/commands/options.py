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


PasswordFile = typer.Option(None, "--password-file", help="Read the password from this file (mode 0600) instead "
                            "of asking")


def read_password(password_file: Path | None, prompt: str) -> str:
    """A password from a private file (refused when others can read it), else asked without echo."""
    if password_file is None:
        import getpass

        return getpass.getpass(prompt)
    from messaging.private_files import refuse_exposed

    refuse_exposed(password_file)
    return password_file.read_text().strip()
