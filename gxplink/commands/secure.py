"""`gxplink secure init`: credentials and the server's authorization block for a deployed NATS.

`gxplink up --secure` does this itself for its embedded server. A deployment with its own
nats-server (deploy/) runs this once on the node: it writes `<data-dir>/creds/<identity>.json` for
every component and the authorization block the server's config includes (only bcrypt hashes).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir
from gxplink.settings import Settings

app = typer.Typer(help="NATS credentials and permissions for a deployed server.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("init")
@friendly_errors
def init(
    data_dir: Path | None = DataDir,
    auth_file: Path | None = typer.Option(None, "--auth-file", help="Where to write the authorization block "
                                          "(default DIR/nats-auth.conf); nats-server includes it relative to "
                                          "its own config, e.g. /etc/gxplink/nats-auth.conf"),
) -> None:
    """Create missing credentials (existing ones are kept) and (re)write the server's authorization block."""
    from gxplink.security import SecureSetup, grants
    from messaging.auth import authorization_block, write_users

    setup = SecureSetup.under(Settings().with_data_dir(data_dir).data_dir)
    table = grants()
    users = write_users(setup.creds_dir, table)
    auth = auth_file or setup.creds_dir.parent / "nats-auth.conf"
    auth.parent.mkdir(parents=True, exist_ok=True)
    auth.touch(mode=0o600)
    auth.chmod(0o600)
    auth.write_text(authorization_block(users, table))
    console.print(f"{len(users)} identities in {setup.creds_dir}; include {auth} in nats-server.conf")
