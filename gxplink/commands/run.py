"""`gxplink run adapter <system>`: one adapter as its own process (how deployments run them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, EndpointsFile
from gxplink.settings import Settings

app = typer.Typer(help="Run one component as its own process.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("adapter")
@friendly_errors
def adapter(
    system: str = typer.Argument(..., help="Which adapter: deltav, lims, qms, mes or erp"),
    data_dir: Path | None = DataDir,
    endpoints_file: Path | None = EndpointsFile,
    health_port: int = typer.Option(0, "--health-port", help="Port of /health and /metrics (0: any free port)"),
) -> None:
    """Run one adapter against NATS ($GXPLINK_NATS_URL, or the `gxplink up` on the same data dir).

    The legacy system's address comes from its GXPLINK_<SYSTEM>_* variables, e.g. GXPLINK_LIMS_LIMS_URL.
    """
    asyncio.run(_run(Settings().with_data_dir(data_dir), system, endpoints_file, health_port))


async def _run(settings: Settings, system: str, endpoints_file: Path | None, health_port: int) -> None:
    from embedded_http import EmbeddedHttpServer
    from gxplink.bootstrap import build_adapter, ports_for
    from gxplink.endpoints import write_endpoints
    from gxplink.lifecycle import stop_event_on_signals
    from gxplink.observability import observability_app
    from gxplink.runtime import Runtime
    from mappings.engine.catalog import load_catalog

    stop = stop_event_on_signals()
    async with Runtime(settings, name=f"gxplink-adapter-{system}", own_server=False) as runtime:
        ports = ports_for(runtime, system, load_catalog())
        component = build_adapter(system, ports)
        http = EmbeddedHttpServer(observability_app({system: component.health}, [ports.metrics.registry]),
                                  port=health_port)
        await component.start()
        try:
            endpoints = {"nats": runtime.nats_url, "adapters": component.endpoints(),
                         "health": f"http://127.0.0.1:{await http.start()}"}
            if endpoints_file:
                write_endpoints(endpoints_file, endpoints)
            console.print(f"{system} adapter running: {endpoints}")
            await stop.wait()
        finally:
            runtime.begin_shutdown()
            await http.stop()
            await component.stop()


@app.command("orchestrator")
@friendly_errors
def orchestrator(data_dir: Path | None = DataDir) -> None:
    """Run an orchestrator process (several may run at once; instances are leased, never run twice)."""
    asyncio.run(_orchestrate(Settings().with_data_dir(data_dir)))


async def _orchestrate(settings: Settings) -> None:
    from gxplink.bootstrap import build_orchestrator
    from gxplink.lifecycle import stop_event_on_signals
    from gxplink.runtime import Runtime

    stop = stop_event_on_signals()
    async with Runtime(settings, name="gxplink-orchestrator", own_server=False) as runtime:
        worker = build_orchestrator(runtime)
        await worker.start()
        console.print(f"orchestrator {worker.owner} running")
        try:
            await stop.wait()
        finally:
            runtime.begin_shutdown()
            await worker.stop()
