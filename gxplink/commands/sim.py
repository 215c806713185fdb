"""`gxplink sim`: run the bundled legacy-system simulators and steer their faults and scenarios."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, EndpointsFile
from gxplink.settings import Settings
from simulators.registry import SYSTEMS

app = typer.Typer(help="Simulators of MES, LIMS, QMS, ERP and DeltaV speaking their real protocols.",
                  no_args_is_help=True)
console = Console(stderr=True)
Host = typer.Option("127.0.0.1", "--host", help="Interface to listen on")
Seed = typer.Option(42, "--seed", help="Seed for process noise and injected faults")
AdminPort = typer.Option(0, "--admin-port", help="Port of the admin endpoint (0: any free port)")


async def _serve(data_dir: Path, systems: tuple[str, ...], host: str, ports: dict[str, int], seed: int,
                 admin_port: int, endpoints_file: Path | None) -> None:
    from gxplink.endpoints import write_endpoints
    from gxplink.lifecycle import stop_event_on_signals
    from simulators.common.runner import SimulatorSet

    stop = stop_event_on_signals()
    sims = SimulatorSet(data_dir, systems, host=host, ports=ports, seed=seed, admin_port=admin_port)
    endpoints = await sims.start()
    try:
        if endpoints_file:
            write_endpoints(endpoints_file, endpoints)
        for system, url in endpoints["sim"].items():
            if isinstance(url, str):  # credentials (e.g. qms_auth) stay in the endpoints file, never on screen
                console.print(f"{system:8} {url}")
        console.print(f"{'admin':8} {endpoints['sim_admin']}")
        await stop.wait()
    finally:
        await sims.stop()


@app.command("up")
@friendly_errors
def up(data_dir: Path | None = DataDir, endpoints_file: Path | None = EndpointsFile, host: str = Host,
       seed: int = Seed, admin_port: int = AdminPort) -> None:
    """Run all five simulators until SIGINT/SIGTERM."""
    root = Settings().with_data_dir(data_dir).data_dir
    asyncio.run(_serve(root, SYSTEMS, host, {}, seed, admin_port, endpoints_file))


def _single(system: str) -> Any:
    @friendly_errors
    def run(data_dir: Path | None = DataDir, host: str = Host,
            port: int = typer.Option(0, "--port", help="Port to listen on (0: any free port)"),
            endpoints_file: Path | None = EndpointsFile, seed: int = Seed, admin_port: int = AdminPort) -> None:
        root = Settings().with_data_dir(data_dir).data_dir
        asyncio.run(_serve(root, (system,), host, {system: port}, seed, admin_port, endpoints_file))

    run.__doc__ = f"Run the {system.upper()} simulator alone."
    return run


for _system in SYSTEMS:
    app.command(_system)(_single(_system))


def _admin_url(endpoints_file: Path | None, admin: str | None) -> str:
    if admin:
        return admin.rstrip("/")
    if endpoints_file is None:
        raise ValueError("give --admin URL or --endpoints-file of a running `gxplink sim up` / `gxplink up`")
    return str(json.loads(endpoints_file.read_text())["sim_admin"]).rstrip("/")


Admin = typer.Option(None, "--admin", help="Admin URL of the simulators (sim_admin in the endpoints JSON)")


@app.command("fault")
@friendly_errors
def fault(
    system: str = typer.Argument(..., help=f"One of {', '.join(SYSTEMS)}"),
    latency_ms: int = typer.Option(0, "--latency-ms", min=0),
    down: bool = typer.Option(False, "--down/--up", help="Refuse connections, or listen again"),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0, max=1),
    malformed_rate: float = typer.Option(0.0, "--malformed-rate", min=0, max=1),
    duplicate_rate: float = typer.Option(0.0, "--duplicate-rate", min=0, max=1),
    clock_skew: float = typer.Option(0.0, "--clock-skew", help="Seconds the system clock is off"),
    endpoints_file: Path | None = EndpointsFile, admin: str | None = Admin,
) -> None:
    """Set the faults of a running simulator (all unset options reset to no fault)."""
    from simulators.common.faults import FaultConfig

    config = FaultConfig(latency_ms=latency_ms, down=down, error_rate=error_rate, malformed_rate=malformed_rate,
                         duplicate_rate=duplicate_rate, clock_skew_seconds=clock_skew)
    url = f"{_admin_url(endpoints_file, admin)}/sims/{system}/faults"
    import httpx

    response = httpx.put(url, json=config.model_dump(), timeout=30)
    _raise_for(response)
    typer.echo(json.dumps(response.json()))


@app.command("action")
@friendly_errors
def action(
    system: str = typer.Argument(..., help=f"One of {', '.join(SYSTEMS)}"),
    name: str = typer.Argument(..., help="Action name (see GET <admin>/sims/<system>/actions)"),
    params: str = typer.Option("{}", "--params", help="JSON object of parameters"),
    endpoints_file: Path | None = EndpointsFile, admin: str | None = Admin,
) -> None:
    """Run a named action of a running simulator (a scenario step or a manual trigger)."""
    url = f"{_admin_url(endpoints_file, admin)}/sims/{system}/actions/{name}"
    import httpx

    response = httpx.post(url, json=json.loads(params), timeout=120)
    _raise_for(response)
    typer.echo(json.dumps(response.json(), indent=2))


def _raise_for(response: Any) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}: {response.text[:300]}")


@app.command("scenario")
@friendly_errors
def scenario(
    batch_id: str = typer.Argument(..., help="Batch of the reference CAR-T process to advance"),
    steps: int = typer.Option(0, "--steps", min=0, help="EBR steps to complete now (0: run the batch to the end)"),
    excursion: bool = typer.Option(False, "--excursion/--no-excursion",
                                   help="Drive BR-101's temperature out of range during expansion"),
    endpoints_file: Path | None = EndpointsFile, admin: str | None = Admin,
) -> None:
    """Advance the reference batch on running simulators as the plant would (ERP order and lot, MES batch
    record, DeltaV phase on BR-101, EBR steps with samples and sign-offs); resumable, each step checks state."""
    import httpx

    base = _admin_url(endpoints_file, admin)

    def act(system: str, name: str, **params: Any) -> dict[str, Any]:
        response = httpx.post(f"{base}/sims/{system}/actions/{name}", json=params, timeout=120)
        _raise_for(response)
        result: dict[str, Any] = response.json()
        return result

    act("erp", "create_lot", lot_id=f"L-{batch_id}", material="MAT-CART", quantity=140, unit="mL")
    act("erp", "create_production_order", batch_id=batch_id)
    try:
        batch = act("mes", "batch", batch_id=batch_id)
    except RuntimeError:
        batch = act("mes", "create_batch", batch_id=batch_id)
        typer.echo(f"MES: batch {batch_id} created")
    if batch["state"] in ("created", "released"):
        batch = act("mes", "start_batch", batch_id=batch_id)
        act("deltav", "start_batch", batch_id=batch_id, unit="BR-101")
        typer.echo("MES: batch started; DeltaV: BR-101 phase running")
    done = 0
    while batch["state"] == "in_execution" and batch["steps_completed"] < batch["steps_total"] \
            and (steps == 0 or done < steps):
        if excursion and batch["steps_completed"] == 4:
            info = act("deltav", "inject_excursion", unit="BR-101", value="Temperature", to=39.2, seconds=3)
            typer.echo(f"DeltaV: temperature excursion on BR-101 ({info.get('to')} Cel)")
            excursion = False
        batch = act("mes", "advance_batch", batch_id=batch_id)
        done += 1
        typer.echo(f"MES: step {batch.get('advanced_step')} done ({batch['steps_completed']}/{batch['steps_total']})")
    if steps == 0 and batch["state"] == "in_execution":
        batch = act("mes", "complete_batch", batch_id=batch_id)
        typer.echo("MES: batch record complete")
    typer.echo(f"batch {batch_id}: {batch['state']}, {batch['steps_completed']}/{batch['steps_total']} steps")
