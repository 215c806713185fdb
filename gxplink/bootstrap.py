"""The composition root: the only place that builds adapters, simulators and their ports.

`Stack` is what `gxplink up` runs in one process: the runtime (NATS, streams, store), the five
simulators, the adapters wired to them, and the health/metrics endpoint. `gxplink run adapter X`
builds one adapter the same way, pointed at systems given by environment variables.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from adapters.base import Adapter, AdapterPorts, Health
from adapters.framework.metrics import AdapterMetrics
from console.config import ConsoleConfig
from console.server import Console
from embedded_http import EmbeddedHttpServer
from gxplink.observability import observability_app
from gxplink.runtime import Runtime
from gxplink.security import AUDIT_WRITER, CONSOLE, ORCHESTRATOR, SYSTEMS, adapter_identity
from mappings.engine.catalog import Catalog, load_catalog
from messaging.poison import PoisonWatcher
from messaging.publisher import Publisher
from orchestrator.audit.monitor import IntegrityMonitor
from orchestrator.audit.writer import AuditWriter
from orchestrator.builtin import builtin_registry
from orchestrator.engine.store import WorkflowStore
from orchestrator.engine.worker import Orchestrator
from orchestrator.transfer.desk import TransferDesk
from orchestrator.transfer.sponsor import PUBLIC_FILE
from simulators.common.runner import SimulatorSet

log = logging.getLogger(__name__)
ADAPTER_SYSTEMS = SYSTEMS  # those with a gxplink/wiring/<system>.py run


def wiring(system: str) -> Any | None:
    """The wiring module of an adapter (build, and optionally connect_simulator), if it exists."""
    try:
        return importlib.import_module(f"gxplink.wiring.{system}")
    except ModuleNotFoundError as exc:
        if exc.name == f"gxplink.wiring.{system}":
            return None
        raise


def ports_for(runtime: Runtime, system: str, catalog: Catalog) -> AdapterPorts:
    nc = runtime.client_for(adapter_identity(system))
    return AdapterPorts(nc=nc, js=nc.jetstream(), publisher=Publisher(nc.jetstream()), engine=runtime.engine,
                        catalog=catalog, metrics=AdapterMetrics(system), nats_connected=lambda: nc.is_connected)


def available_adapters() -> list[str]:
    return [s for s in ADAPTER_SYSTEMS if wiring(s) is not None]


def build_adapter(system: str, ports: AdapterPorts, sim: dict[str, Any] | None = None) -> Adapter:
    """An adapter configured from GXPLINK_<SYSTEM>_* variables, or pointed at the bundled simulator."""
    module = wiring(system)
    if module is None:
        raise ValueError(f"no adapter for {system!r}; adapters: {', '.join(available_adapters())}")
    adapter: Adapter = module.build(ports, sim or {})
    return adapter


def build_orchestrator(runtime: Runtime) -> Orchestrator:
    js = runtime.client_for(ORCHESTRATOR).jetstream()
    return Orchestrator(builtin_registry(), WorkflowStore(runtime.engine), js, Publisher(js))


def build_audit_writer(runtime: Runtime, data_dir: Path) -> AuditWriter:
    js = runtime.client_for(AUDIT_WRITER).jetstream()
    return AuditWriter(js, runtime.engine, data_dir / "keys", publisher=Publisher(js))


def build_integrity_monitor(runtime: Runtime) -> IntegrityMonitor:
    """The live ALCOA+ monitor; it speaks as the audit writer (its findings are the writer's to raise)."""
    return IntegrityMonitor(runtime.engine, Publisher(runtime.client_for(AUDIT_WRITER).jetstream()))


def build_console(runtime: Runtime, data_dir: Path, health_urls: tuple[str, ...]) -> Console:
    settings = runtime.settings
    config = ConsoleConfig(keys_dir=data_dir / "keys", health_urls=health_urls,
                           idle_minutes=settings.console_idle_minutes, secure_cookies=settings.console_secure_cookies)
    return Console(config, runtime.engine, runtime.client_for(CONSOLE), creds_dir=runtime.security.creds_dir,
                   host=settings.console_host, port=settings.console_port)


def build_transfer_desk(runtime: Runtime, orchestrator: Orchestrator) -> TransferDesk:
    """The CDMO's desk: it trusts the sponsor key handed over beside the link file."""
    link = runtime.settings.transfer_link
    if link is None:
        raise ValueError("a CDMO instance needs the sponsor's link file (--link)")
    return TransferDesk(runtime.client_for(ORCHESTRATOR).jetstream(), WorkflowStore(runtime.engine),
                        orchestrator.start_instance, trusted_key=Path(link).resolve().parent / PUBLIC_FILE)


def stack_components() -> tuple[str, ...]:
    """The NATS identities `Stack` speaks as (each its own connection when secured)."""
    return (AUDIT_WRITER, ORCHESTRATOR, CONSOLE, *(adapter_identity(s) for s in available_adapters()))


class Stack:
    """Everything `gxplink up` runs, started in dependency order and stopped in reverse."""

    def __init__(self, runtime: Runtime, data_dir: Path, with_simulators: bool = True) -> None:
        self.runtime, self.data_dir = runtime, data_dir
        self.sims = SimulatorSet(data_dir) if with_simulators else None
        self.adapters: dict[str, Adapter] = {}
        self.audit = build_audit_writer(runtime, data_dir)
        self.monitor = build_integrity_monitor(runtime)
        self.orchestrator = build_orchestrator(runtime)
        self.poison = PoisonWatcher(runtime.nc, runtime.publisher)
        self.http: EmbeddedHttpServer | None = None
        self.console: Console | None = None
        self.desk: TransferDesk | None = None

    async def start(self) -> dict[str, Any]:
        endpoints: dict[str, Any] = {"nats": self.runtime.nats_url}
        await self.poison.start()
        await self.audit.start()
        await self.monitor.start()
        await self.orchestrator.start()
        if self.runtime.settings.instance == "cdmo":
            self.desk = build_transfer_desk(self.runtime, self.orchestrator)
            await self.desk.start()
        if self.sims is not None:
            endpoints.update(await self.sims.start())
        catalog = load_catalog()
        for system in available_adapters():
            adapter = build_adapter(system, ports_for(self.runtime, system, catalog), endpoints.get("sim"))
            await adapter.start()
            self.adapters[system] = adapter
        endpoints["adapters"] = {k: v for a in self.adapters.values() for k, v in a.endpoints().items()}
        await self._wire_simulators(endpoints["adapters"])
        probes: dict[str, Any] = {name: a.health for name, a in self.adapters.items()}
        probes["orchestrator"] = self._orchestrator_health
        probes["console"] = self._console_health
        self.http = EmbeddedHttpServer(observability_app(probes, [a.ports.metrics.registry
                                                                  for a in self.adapters.values()]))
        endpoints["health"] = f"http://127.0.0.1:{await self.http.start()}"
        self.console = build_console(self.runtime, self.data_dir, (f"{endpoints['health']}/health",))
        await self.console.start()
        endpoints["console"] = self.console.url
        return endpoints

    async def _wire_simulators(self, adapters: dict[str, str]) -> None:
        """Point each simulator that pushes data (the LIMS sends results) at its adapter."""
        if self.sims is None:
            return
        for system, adapter in self.adapters.items():
            connect = getattr(wiring(system), "connect_simulator", None)
            if connect is not None and system in self.sims.simulators:
                await connect(adapter, self.sims.simulators[system])

    async def _orchestrator_health(self) -> Health:
        return Health.of({"orchestrator": self.orchestrator.alive})

    async def _console_health(self) -> Health:
        return Health.of({"console": self.console is not None and self.console.alive})

    async def stop(self) -> None:
        if self.desk is not None:
            await self.desk.stop()
        if self.console is not None:
            await self.console.stop()
        if self.http is not None:
            await self.http.stop()
        for name, part in (("orchestrator", self.orchestrator), ("integrity monitor", self.monitor),
                           ("audit writer", self.audit)):
            try:
                await part.stop()
            except Exception:
                log.exception("stopping the %s failed", name)
        for system, adapter in reversed(list(self.adapters.items())):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping the %s adapter failed", system)
        if self.sims is not None:
            await self.sims.stop()
        await self.poison.stop()
