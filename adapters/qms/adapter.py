"""The QMS adapter: the change feed and audit trail followed over SOAP, deviation and CAPA commands out.

Inbound, two pollers call ListChangesSince and GetAuditEntries after their persisted cursors; outbound,
the command executor runs OpenDeviation, ChangeDeviationStatus and LinkCapa. All SOAP goes through
one zeep async client (client.py), or the in-memory fake in tests.
"""

from __future__ import annotations

from typing import ClassVar

from adapters.base import AdapterPorts
from adapters.framework.command_loop import CommandLoop
from adapters.framework.commands import CommandExecutor
from adapters.framework.inbound import InboundPipeline
from adapters.framework.polling_adapter import PollingAdapter
from adapters.framework.replay import ReplayResponder
from adapters.qms.api import QmsApi
from adapters.qms.audit import AuditFollower
from adapters.qms.client import ZeepQmsClient
from adapters.qms.commands import QmsCommands
from adapters.qms.config import QmsAdapterConfig
from adapters.qms.feed import ChangeFollower
from adapters.qms.opened import OpenedDeviations
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore


class QmsSoapAdapter(PollingAdapter):
    system: ClassVar[str] = "qms"
    address_env: ClassVar[str] = "GXPLINK_QMS_WSDL_URL"
    config: QmsAdapterConfig

    def __init__(self, ports: AdapterPorts, config: QmsAdapterConfig | None = None,
                 client: QmsApi | None = None) -> None:
        super().__init__(ports)
        self.config = config or QmsAdapterConfig()
        self.client: QmsApi | None = client or (ZeepQmsClient.from_config(self.config) if self.config.wsdl_url
                                                else None)
        self.pipeline = InboundPipeline("qms", ports.publisher, ports.catalog, ports.metrics)
        cursors, idempotency = CursorStore(ports.engine), IdempotencyStore(ports.engine, "qms")
        self.feed: ChangeFollower | None = None
        self.audit: AuditFollower | None = None
        opened: OpenedDeviations | None = None
        if self.client is not None:
            self.feed = ChangeFollower(self.client, self.pipeline, cursors, initial=self.config.initial_change_cursor,
                                       page_size=self.config.page_size)
            self.audit = AuditFollower(self.client, self.pipeline, cursors, initial=self.config.initial_audit_cursor,
                                       page_size=self.config.page_size)
            opened = OpenedDeviations(self.client, idempotency, self.feed.position, self.config.page_size)
        executor = CommandExecutor("qms", QmsCommands(ports.catalog, self.client, opened).handlers(), ports.publisher,
                                   idempotency, ports.metrics, attempts=self.config.command_attempts)
        self.commands = CommandLoop(executor, ports.js, origin="qms")
        self.replay = ReplayResponder("qms", self.pipeline, ports.nc)
