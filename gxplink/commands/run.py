"""`gxplink run adapter/orchestrator/audit-writer`: one component as its own process (how deployments run them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import typer
from rich.console import Console

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, EndpointsFile
from gxplink.settings import Settings

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from gxplink.observability import HealthProbe
    from gxplink.runtime import Runtime

app = typer.Typer(help="Run one component as its own process.", no_args_is_help=True)
console = Console(stderr=True)


HealthPort = typer.Option(0, "--health-port", help="Port of /health, /live and /metrics (0: any free port)")


@app.command("adapter")
@friendly_errors
def adapter(
    system: str = typer.Argument(..., help="Which adapter: deltav, lims, qms, mes or erp"),
    data_dir: Path | None = DataDir,
    endpoints_file: Path | None = EndpointsFile,
    health_port: int = HealthPort,
) -> None:
    """Run one adapter against NATS ($GXPLINK_NATS_URL, or the `gxplink up` on the same data dir).

    The legacy system's address comes from its GXPLINK_<SYSTEM>_* variables, e.g. GXPLINK_LIMS_LIMS_URL.
    """
    asyncio.run(_adapter(Settings().with_data_dir(data_dir), system, endpoints_file, health_port))


@app.command("orchestrator")
@friendly_errors
def orchestrator(data_dir: Path | None = DataDir, endpoints_file: Path | None = EndpointsFile,
                 health_port: int = HealthPort) -> None:
    """Run an orchestrator process (several may run at once; instances are leased, never run twice)."""
    asyncio.run(_orchestrator(Settings().with_data_dir(data_dir), endpoints_file, health_port))


@app.command("audit-writer")
@friendly_errors
def audit_writer(data_dir: Path | None = DataDir, endpoints_file: Path | None = EndpointsFile,
                 health_port: int = HealthPort) -> None:
    """Run the audit writer as its own process (several may run: the chain append is locked, records are
    deduplicated by message id)."""
    asyncio.run(_audit_writer(Settings().with_data_dir(data_dir), endpoints_file, health_port))


@app.command("console")
@friendly_errors
def console_(data_dir: Path | None = DataDir, endpoints_file: Path | None = EndpointsFile,
             health_port: int = HealthPort) -> None:
    """Run the web console (GXPLINK_CONSOLE_PORT, GXPLINK_CONSOLE_HEALTH_URLS); several may run behind a balancer:
    sessions live in the database."""
    asyncio.run(_console(Settings().with_data_dir(data_dir), endpoints_file, health_port))


class Component(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


async def _serve(runtime: Runtime, component: Component, name: str, probe: HealthProbe,
                 registries: list[CollectorRegistry], own: Callable[[], dict[str, Any]], endpoints_file: Path | None,
                 health_port: int) -> None:
    """Start `component`, serve its health and metrics, write the endpoints (its `own` ones read once it
    listens), run until SIGINT/SIGTERM."""
    from embedded_http import EmbeddedHttpServer
    from gxplink.endpoints import write_endpoints
    from gxplink.lifecycle import stop_event_on_signals
    from gxplink.observability import observability_app

    stop = stop_event_on_signals()
    http = EmbeddedHttpServer(observability_app({name: probe}, registries), port=health_port)
    await component.start()
    try:
        endpoints = {"nats": runtime.nats_url, **own(), "health": f"http://127.0.0.1:{await http.start()}"}
        if endpoints_file:
            write_endpoints(endpoints_file, endpoints)
        console.print(f"{name} running: {endpoints}")
        await stop.wait()
    finally:
        runtime.begin_shutdown()
        await http.stop()
        await component.stop()


async def _adapter(settings: Settings, system: str, endpoints_file: Path | None, health_port: int) -> None:
    from gxplink.bootstrap import build_adapter, ports_for
    from gxplink.runtime import Runtime
    from gxplink.security import adapter_identity
    from mappings.engine.catalog import load_catalog

    async with Runtime(settings, name=f"gxplink-adapter-{system}", own_server=False,
                       identity=adapter_identity(system)) as runtime:
        ports = ports_for(runtime, system, load_catalog())
        component = build_adapter(system, ports)
        await _serve(runtime, component, system, component.health, [ports.metrics.registry],
                     lambda: {"adapters": component.endpoints()}, endpoints_file, health_port)


async def _orchestrator(settings: Settings, endpoints_file: Path | None, health_port: int) -> None:
    from adapters.base import Health
    from gxplink.bootstrap import build_orchestrator
    from gxplink.runtime import Runtime
    from gxplink.security import ORCHESTRATOR

    async with Runtime(settings, name="gxplink-orchestrator", own_server=False, identity=ORCHESTRATOR) as runtime:
        worker = build_orchestrator(runtime)

        async def health() -> Health:
            return Health.of({"workflows": worker.alive, "nats": runtime.nc.is_connected})

        await _serve(runtime, worker, "orchestrator", health, [], lambda: {"orchestrator": worker.owner},
                     endpoints_file, health_port)


async def _audit_writer(settings: Settings, endpoints_file: Path | None, health_port: int) -> None:
    from adapters.base import Health
    from gxplink.bootstrap import build_audit_writer, build_integrity_monitor
    from gxplink.runtime import Runtime
    from gxplink.security import AUDIT_WRITER

    async with Runtime(settings, name="gxplink-audit-writer", own_server=False, identity=AUDIT_WRITER) as runtime:
        writer, monitor = build_audit_writer(runtime, settings.data_dir), build_integrity_monitor(runtime)

        async def health() -> Health:
            return Health.of({"consumers": writer.alive, "nats": runtime.nc.is_connected})

        await monitor.start()
        try:
            await _serve(runtime, writer, "audit-writer", health, [], dict, endpoints_file, health_port)
        finally:
            await monitor.stop()


async def _console(settings: Settings, endpoints_file: Path | None, health_port: int) -> None:
    from adapters.base import Health
    from gxplink.bootstrap import build_console
    from gxplink.runtime import Runtime
    from gxplink.security import CONSOLE

    urls = tuple(u.strip() for u in settings.console_health_urls.split(",") if u.strip())
    async with Runtime(settings, name="gxplink-console", own_server=False, identity=CONSOLE) as runtime:
        web = build_console(runtime, settings.data_dir, urls)

        async def health() -> Health:
            return Health.of({"http": web.alive, "nats": runtime.nc.is_connected})

        await _serve(runtime, web, "console", health, [], lambda: {"console": web.url}, endpoints_file, health_port)
