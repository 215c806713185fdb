"""`gxplink workflows`: list, inspect, start and sign the orchestrator's workflow instances."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, Format, OutputFormat
from gxplink.settings import Settings

app = typer.Typer(help="Durable cross-system workflows.", no_args_is_help=True)


def _store(settings: Settings) -> Any:
    from orchestrator.engine.store import WorkflowStore
    from storage.engine import default_url, make_engine

    return WorkflowStore(make_engine(settings.db_url or default_url(settings.data_dir)))


@app.command("list")
@friendly_errors
def list_(data_dir: Path | None = DataDir, output: OutputFormat = Format,
          status: str | None = typer.Option(None, "--status", help="running, completed or failed")) -> None:
    """Workflow instances and the open human tasks."""
    async def load() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        store = _store(Settings().with_data_dir(data_dir))
        await store.create_schema()
        try:
            return await store.list_instances(status), await store.open_tasks()
        finally:
            await store.engine.dispose()
    instances, tasks = asyncio.run(load())
    if output is OutputFormat.json:
        typer.echo(json.dumps({"instances": instances, "tasks": tasks}, default=str, indent=2))
        return
    table = Table("id", "workflow", "v", "business key", "status", "started", "result")
    for i in instances:
        table.add_row(i["id"][:12], i["workflow"], str(i["version"]), i["business_key"], i["status"],
                      str(i["started_at"])[:19], str(i["result"] or ""))
    Console().print(table)
    for task in tasks:
        Console().print(f"open task {task['id']}: {task['title']} (role {task['role']}, meanings "
                        f"{', '.join(task['meanings'])})")


@app.command("show")
@friendly_errors
def show(instance_id: str = typer.Argument(...), data_dir: Path | None = DataDir) -> None:
    """One instance with its append-only history."""
    async def load() -> dict[str, Any]:
        store = _store(Settings().with_data_dir(data_dir))
        try:
            matches = [i for i in await store.list_instances() if i["id"].startswith(instance_id)]
            if len(matches) != 1:
                raise ValueError(f"{'no' if not matches else 'more than one'} instance {instance_id!r}")
            history, _ = await store.history(matches[0]["id"])
            return {**matches[0], "history": [h.__dict__ for h in history]}
        finally:
            await store.engine.dispose()
    typer.echo(json.dumps(asyncio.run(load()), default=str, indent=2))


@app.command("start")
@friendly_errors
def start(name: str = typer.Argument(..., help="Workflow name"), key: str = typer.Option(..., "--key"),
          input_file: Path | None = typer.Option(None, "--input", help="JSON file with the input"),
          data_dir: Path | None = DataDir) -> None:
    """Start an instance by hand (a running orchestrator advances it)."""
    values = json.loads(input_file.read_text()) if input_file else {}

    async def go() -> str:
        from gxplink.bootstrap import build_orchestrator
        from gxplink.runtime import Runtime

        async with Runtime(Settings().with_data_dir(data_dir), name="gxplink-workflows") as runtime:
            orchestrator = build_orchestrator(runtime)
            await orchestrator.store.create_schema()
            return await orchestrator.start_instance(name, key, values)
    typer.echo(asyncio.run(go()))


@app.command("sign")
@friendly_errors
def sign(task_id: str = typer.Argument(...), user: str = typer.Option(..., "--user"),
         meaning: str = typer.Option(..., "--meaning"), reason: str | None = typer.Option(None, "--reason"),
         data_dir: Path | None = DataDir) -> None:
    """Sign a human task: re-authenticate with your password, choose the meaning (21 CFR 11.50)."""
    password = getpass.getpass(f"password for {user}: ")

    async def go() -> Any:
        from gxplink.runtime import Runtime
        from orchestrator.engine.signing import Signer
        from orchestrator.engine.store import WorkflowStore

        async with Runtime(Settings().with_data_dir(data_dir), name="gxplink-sign", own_server=False) as runtime:
            return await Signer(WorkflowStore(runtime.engine), runtime.publisher).sign(task_id, user, password,
                                                                                      meaning, reason)
    signature = asyncio.run(go())
    typer.echo(f"signed by {signature.signer_name} at {signature.signed_at.isoformat()} meaning {signature.meaning}")
