"""The LIMS adapter: ORU^R01 results in over MLLP, OML^O21 orders and MFN^M08/M09 test master data out, the LIMS
audit trail relayed."""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from adapters.base import Adapter, AdapterPorts, Health
from adapters.framework.command_loop import CommandLoop
from adapters.framework.commands import CommandExecutor
from adapters.framework.inbound import InboundPipeline
from adapters.framework.replay import ReplayResponder
from adapters.lims.audit import AuditReader
from adapters.lims.client import LimsSender, MllpListener, MllpSender
from adapters.lims.commands import command_handlers
from adapters.lims.config import LimsAdapterConfig
from adapters.lims.translate import ResultReceiver
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore


class LimsHl7Adapter(Adapter):
    system: ClassVar[str] = "lims"

    def __init__(self, ports: AdapterPorts, config: LimsAdapterConfig | None = None,
                 sender: LimsSender | None = None) -> None:
        super().__init__(ports)
        self.config = config or LimsAdapterConfig()
        self.pipeline = InboundPipeline("lims", ports.publisher, ports.catalog, ports.metrics)
        receiver = ResultReceiver(self.pipeline, self.config.sending_application)
        self.listener = MllpListener(receiver, self.config.listen_host, self.config.listen_port,
                                     self.config.max_frame_bytes)
        self.sender: LimsSender | None = sender or (MllpSender(self.config.lims_url, self.config.ack_timeout_seconds)
                                 if self.config.lims_url else None)
        executor = CommandExecutor("lims", command_handlers(ports.catalog, self.sender), ports.publisher,
                                   IdempotencyStore(ports.engine, "lims"), ports.metrics,
                                   attempts=self.config.send_attempts)
        self.commands = CommandLoop(executor, ports.js, origin="lims")
        self.audit = AuditReader(self.sender, self.pipeline, CursorStore(ports.engine),
                                 self.config.sending_application) if self.sender else None
        self.replay = ReplayResponder("lims", self.pipeline, ports.nc)
        self._stop_audit = asyncio.Event()
        self._audit_task: asyncio.Task[None] | None = None

    async def _start(self) -> None:
        await self.listener.start()
        self.config.listen_port = self.listener.port  # a restart keeps the address the LIMS knows
        await self.replay.start()
        self.commands.start()
        if self.audit is not None:
            self._stop_audit.clear()
            self._audit_task = asyncio.create_task(self.audit.run(self.config.audit_poll_seconds, self._stop_audit))

    async def _stop(self) -> None:
        await self.listener.stop()
        await self.replay.stop()
        await self.commands.stop()
        self._stop_audit.set()
        if self._audit_task is not None:
            done, _ = await asyncio.wait({self._audit_task}, timeout=2)
            if not done:  # stuck retrying a publish while NATS is gone: its cursor was not moved
                self._audit_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._audit_task

    async def health(self) -> Health:
        checks: dict[str, bool | str] = {"mllp_listener": self.running, "command_consumer": self.commands.alive}
        if self.sender is not None:
            checks["lims_reachable"] = await self.sender.probe()
        if self.ports.nats_connected is not None:
            checks["nats"] = bool(self.ports.nats_connected())
        return Health.of(checks)

    def endpoints(self) -> dict[str, str]:
        return {"lims_mllp": self.listener.url}
