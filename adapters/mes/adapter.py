"""The MES adapter: the change feed and audit trail followed over REST, batch commands out, BatchML records.

Inbound, two pollers read `GET /events` and `GET /audit` after their persisted cursors; outbound, the
command executor runs HoldBatch, ResumeBatch, RecordQcSummary, AttachExternalReference and
ProvisionMasterRecipe; batch production records are exported from and imported as B2MML/BatchML V0700,
validated with MESA's XSD.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from adapters.base import AdapterPorts
from adapters.framework.command_loop import CommandLoop
from adapters.framework.commands import CommandExecutor
from adapters.framework.inbound import InboundPipeline
from adapters.framework.polling_adapter import PollingAdapter
from adapters.framework.replay import ReplayResponder
from adapters.mes import batchml
from adapters.mes.api import MesApi
from adapters.mes.audit import AuditFollower
from adapters.mes.client import MesHttpClient
from adapters.mes.commands import MesCommands
from adapters.mes.config import MesAdapterConfig
from adapters.mes.feed import FeedFollower
from adapters.mes.replay import MesReplayPipeline
from messaging.errors import PermanentError, RetryableError
from storage.cursors import CursorStore
from storage.idempotency import IdempotencyStore

log = logging.getLogger(__name__)


class MesRestAdapter(PollingAdapter):
    system: ClassVar[str] = "mes"
    address_env: ClassVar[str] = "GXPLINK_MES_URL"
    config: MesAdapterConfig

    def __init__(self, ports: AdapterPorts, config: MesAdapterConfig | None = None,
                 client: MesApi | None = None) -> None:
        super().__init__(ports)
        self.config = config or MesAdapterConfig()
        self.client: MesApi | None = client or (MesHttpClient.from_config(self.config) if self.config.url else None)
        self.pipeline = InboundPipeline("mes", ports.publisher, ports.catalog, ports.metrics)
        cursors = CursorStore(ports.engine)
        self.feed: FeedFollower | None = None
        self.audit: AuditFollower | None = None
        if self.client is not None:
            self.feed = FeedFollower(self.client, self.pipeline, cursors, initial=self.config.initial_feed_cursor,
                                     page_size=self.config.page_size)
            self.audit = AuditFollower(self.client, self.pipeline, cursors, initial=self.config.initial_audit_cursor,
                                       page_size=self.config.page_size)
        executor = CommandExecutor("mes", MesCommands(ports.catalog, self.client).handlers(), ports.publisher,
                                   IdempotencyStore(ports.engine, "mes"), ports.metrics,
                                   attempts=self.config.command_attempts)
        self.commands = CommandLoop(executor, ports.js, origin="mes")
        replay_pipeline = MesReplayPipeline("mes", ports.publisher, ports.catalog, ports.metrics)
        self.replay = ReplayResponder("mes", replay_pipeline, ports.nc)

    async def export_batch_record(self, batch_id: str) -> bytes:
        """The MES's BatchML V0700 BatchProductionRecord of a batch, schema-validated.

        A document cut off in transit (not well-formed) is fetched again, up to `read_attempts` times;
        a well-formed but invalid one raises `batchml.InvalidBatchRecord` at once.
        """
        client = self._client()
        problem: Exception | None = None
        for attempt in range(self.config.read_attempts):
            if attempt:
                await asyncio.sleep(0.2 * attempt)
            try:
                xml = await client.batchml(batch_id)
                batchml.validate(xml)
                return xml
            except (RetryableError, batchml.MalformedBatchRecord) as exc:
                problem = exc
                log.info("mes batch record %s not read (%s); trying again", batch_id, exc)
        assert problem is not None
        raise problem

    def import_batch_record(self, xml: bytes) -> dict[str, Any]:
        """Validate a BatchML V0700 BatchProductionRecord and summarise it (batch, product, steps, signatures)."""
        return batchml.import_record(xml)

    def _client(self) -> MesApi:
        if self.client is None:
            raise PermanentError("no MES address configured (GXPLINK_MES_URL)")
        return self.client
