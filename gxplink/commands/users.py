"""`gxplink users`: the people who log in to the console and sign (one identity for both, 21 CFR 11.200)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, Format, OutputFormat, PasswordFile, read_password
from gxplink.settings import Settings

app = typer.Typer(help="Console and signing users.", no_args_is_help=True)


def _accounts(settings: Settings) -> Any:
    from orchestrator.engine.accounts import Accounts
    from storage.engine import default_url, make_engine

    return Accounts(make_engine(settings.db_url or default_url(settings.data_dir)))


def _password(password_file: Path | None) -> str:
    first = read_password(password_file, "initial password (at least 12 characters): ")
    if password_file is None and read_password(None, "again: ") != first:
        raise ValueError("the two passwords differ")
    return first


@app.command("add")
@friendly_errors
def add(user_id: str = typer.Argument(..., help="User id (never reused)"),
        name: str = typer.Option(..., "--name", help="Printed name, shown with the user's signatures"),
        role: str = typer.Option(..., "--role", help="auditor, qa, operator or admin"),
        password_file: Path | None = PasswordFile,
        data_dir: Path | None = DataDir) -> None:
    """Create a user (works beside a running `gxplink up`)."""
    password = _password(password_file)

    async def go() -> bool:
        from orchestrator.engine.store import WorkflowStore

        accounts = _accounts(Settings().with_data_dir(data_dir))
        try:
            await WorkflowStore(accounts.engine).create_schema()
            created: bool = await accounts.add(user_id, name, role, password)
            return created
        finally:
            await accounts.engine.dispose()
    if not asyncio.run(go()):
        raise ValueError(f"user {user_id!r} exists already (user ids are never reused)")
    typer.echo(f"created {user_id} ({name}, {role})")


@app.command("list")
@friendly_errors
def list_(data_dir: Path | None = DataDir, output: OutputFormat = Format) -> None:
    """The users and their roles (never their password hashes)."""
    async def load() -> list[dict[str, Any]]:
        accounts = _accounts(Settings().with_data_dir(data_dir))
        try:
            found: list[dict[str, Any]] = await accounts.all()
            return found
        finally:
            await accounts.engine.dispose()
    users = asyncio.run(load())
    if output is OutputFormat.json:
        typer.echo(json.dumps(users, default=str, indent=2))
        return
    table = Table("user id", "name", "role", "created")
    for user in users:
        table.add_row(user["user_id"], user["name"], user["role"], str(user["created_at"])[:19])
    Console().print(table)
