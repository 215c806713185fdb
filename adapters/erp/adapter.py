"""The ERP adapter: the change feed and change documents in; dispositions, movements, orders and master data out."""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from adapters.base import Adapter, AdapterPorts, Health
from adapters.erp.api import ErpApi
from adapters.erp.audit import AuditReader
from adapters.erp.client import ErpHttpClient
from adapters.erp.commands import command_handlers
from adapters.erp.config import ErpAdapterConfig
from adapters.erp.feed import ChangeFeedReader
from adapters.erp.replay import ReplayPipeline
from adapters.framework.command_loop import CommandLoop
from adapters.framework.commands import CommandExecutor
from adapters.framework.inbound import InboundPipeline
from adapters.framework.replay import ReplayResponder
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore


class ErpRestAdapter(Adapter):
    system: ClassVar[str] = "erp"

    def __init__(self, ports: AdapterPorts, config: ErpAdapterConfig | None = None, api: ErpApi | None = None) -> None:
        super().__init__(ports)
        self.config = config or ErpAdapterConfig()
        self.api = api or _http_client(self.config)
        self.pipeline = InboundPipeline("erp", ports.publisher, ports.catalog, ports.metrics)
        cursors = CursorStore(ports.engine)
        self.feed = ChangeFeedReader(self.api, self.pipeline, cursors, self.config.feed_page_size)
        self.audit = AuditReader(self.api, self.pipeline, cursors, self.config.audit_page_size)
        executor = CommandExecutor("erp", command_handlers(ports.catalog, self.api), ports.publisher,
                                   IdempotencyStore(ports.engine, "erp"), ports.metrics,
                                   attempts=self.config.command_attempts)
        self.commands = CommandLoop(executor, ports.js, origin="erp")
        self.replay = ReplayResponder("erp", ReplayPipeline(self.pipeline, self.feed.enricher), ports.nc)
        self._stop_polling = asyncio.Event()
        self._pollers: dict[str, asyncio.Task[None]] = {}

    async def _start(self) -> None:
        await self.replay.start()
        self.commands.start()
        self._stop_polling.clear()
        self._pollers = {
            "change_feed": asyncio.create_task(self.feed.run(self.config.feed_poll_seconds, self._stop_polling),
                                               name="erp:change_feed"),
            "audit_trail": asyncio.create_task(self.audit.run(self.config.audit_poll_seconds, self._stop_polling),
                                               name="erp:audit_trail"),
        }

    async def _stop(self) -> None:
        self._stop_polling.set()
        await self.replay.stop()
        await self.commands.stop()
        if self._pollers:
            _, pending = await asyncio.wait(self._pollers.values(), timeout=2)
            for task in pending:  # stuck in a publish retry while NATS is gone: its cursor was not moved
                task.cancel()
            for task in self._pollers.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._pollers = {}
        await self.api.close()

    async def health(self) -> Health:
        checks: dict[str, bool | str] = {"erp_reachable": await self.api.probe(),
                                         "command_consumer": self.commands.alive}
        checks.update({name: not task.done() for name, task in self._pollers.items()} or {"change_feed": False})
        if self.ports.nats_connected is not None:
            checks["nats"] = bool(self.ports.nats_connected())
        return Health.of(checks)


def _http_client(config: ErpAdapterConfig) -> ErpHttpClient:
    if not config.url:
        raise ValueError("no ERP address: set GXPLINK_ERP_URL (e.g. https://erp.example:8443)")
    if not config.has_credentials:
        raise ValueError("no ERP credentials: set GXPLINK_ERP_USERNAME with GXPLINK_ERP_PASSWORD or "
                         "GXPLINK_ERP_PASSWORD_FILE, or GXPLINK_ERP_TOKEN")
    return ErpHttpClient(config.url, basic=config.basic_auth(), token=config.bearer_token(),
                         timeout=config.timeout_seconds)
