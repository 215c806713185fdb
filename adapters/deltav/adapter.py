"""The DeltaV adapter: OPC UA subscriptions in (process values, alarms, phases), set points and phase
methods out, the DeltaV event journal relayed; one supervised session feeds all of it.

Tasks: the session supervisor (watchdog.py), the translator draining the inbox (translate.py), the
audit reader (audit.py), a watermark saver, the command consumer and the replay responder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import ClassVar

from adapters.base import Adapter, AdapterPorts, Health
from adapters.deltav.audit import AuditReader
from adapters.deltav.commands import DeltaVCommands
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.connection import Connector
from adapters.deltav.inbox import Inbox
from adapters.deltav.state import AdapterState
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.translate import Translator
from adapters.deltav.watchdog import Supervisor
from adapters.framework.command_loop import CommandLoop
from adapters.framework.commands import CommandExecutor
from adapters.framework.inbound import InboundPipeline
from adapters.framework.replay import ReplayResponder
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore

log = logging.getLogger(__name__)


class DeltaVOpcUaAdapter(Adapter):
    system: ClassVar[str] = "deltav"

    def __init__(self, ports: AdapterPorts, config: DeltaVAdapterConfig | None = None,
                 connector: Connector | None = None) -> None:
        super().__init__(ports)
        self.config = config = config or DeltaVAdapterConfig()
        if connector is None:
            from adapters.deltav.client import OpcUaConnector  # only the real connector needs asyncua

            connector = OpcUaConnector(config)
        self.connector = connector
        self.telemetry = DeltaVMetrics(ports.metrics.registry)
        self.pipeline = InboundPipeline("deltav", ports.publisher, ports.catalog, ports.metrics)
        self.state = AdapterState(CursorStore(ports.engine))
        self.inbox = Inbox(config.inbox_size, self.telemetry.dropped)
        self.supervisor = Supervisor(connector, self.inbox, config, ports.metrics)
        self.translator = Translator(self.pipeline, self.state, self.supervisor, config, self.telemetry,
                                     lambda: self.audit.wake())
        self.audit = AuditReader(self.supervisor, self.pipeline, CursorStore(ports.engine), config.audit_page,
                                 self.translator.context)
        handlers = DeltaVCommands(ports.catalog, self.supervisor, config.command_wait_seconds).handlers()
        executor = CommandExecutor("deltav", handlers, ports.publisher, IdempotencyStore(ports.engine, "deltav"),
                                   ports.metrics)
        self.commands = CommandLoop(executor, ports.js, origin="deltav")
        self.replay = ReplayResponder("deltav", self.pipeline, ports.nc)
        self.telemetry.watch(self.inbox.qsize, self.supervisor.ready.is_set)
        self._stop_event = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def _start(self) -> None:
        await self.state.load()
        self.inbox.reset()
        self.supervisor.stopping = False
        self._stop_event = stop = asyncio.Event()
        self._tasks = {
            "translator": asyncio.create_task(self.translator.run(self.inbox, stop), name="deltav-translator"),
            "supervisor": asyncio.create_task(self.supervisor.run(stop), name="deltav-supervisor"),
            "audit": asyncio.create_task(self.audit.run(self.config.audit_poll_seconds, stop), name="deltav-audit"),
            "watermarks": asyncio.create_task(self._save_watermarks(stop), name="deltav-watermarks"),
        }
        await self.replay.start()
        self.commands.start()

    async def _stop(self) -> None:
        self.supervisor.stopping = True  # the command in hand finishes on the live session, or fails over at once
        await self.commands.stop()
        await self.replay.stop()
        self._stop_event.set()
        _, pending = await asyncio.wait(set(self._tasks.values()), timeout=3)
        for name, task in self._tasks.items():
            if task in pending:  # stuck publishing while NATS is gone: its watermark was not moved
                log.info("deltav: %s did not finish in time; cancelled", name)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = {}
        with contextlib.suppress(Exception):
            await self.state.save_watermarks()

    async def _save_watermarks(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.watermark_save_seconds)
            try:
                await self.state.save_watermarks()
            except Exception as exc:
                log.warning("deltav: saving watermarks failed: %s", exc)

    async def health(self) -> Health:
        """The server answers, the session (or its recovery within the grace period), consumers, NATS."""
        reachable = await self.connector.probe()
        down_since = self.supervisor.down_since
        subscribed: bool | str = self.supervisor.ready.is_set()
        if not subscribed and reachable and down_since is not None:
            within = time.monotonic() - down_since <= self.config.health_grace_seconds
            subscribed = True if within else f"reconnecting: {self.supervisor.last_problem}"
        checks: dict[str, bool | str] = {
            "opcua_server": reachable, "subscriptions": subscribed if reachable else False,
            "session_supervisor": bool(self._tasks) and not self._tasks["supervisor"].done(),
            "command_consumer": self.commands.alive}
        if self.ports.nats_connected is not None:
            checks["nats"] = bool(self.ports.nats_connected())
        return Health.of(checks)
