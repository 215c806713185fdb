"""Back-pressure: a slow consumer never makes an adapter drop data, and what it holds stays bounded.

The LIMS adapter takes a burst of ORU^R01 messages over four MLLP connections while the audit
writer appends slowly (each batch of 16 waits). JetStream sits between them: every message is
answered AA as soon as its events are durably stored, whatever the writer's pace; the writer holds
at most one fetch batch unacknowledged (the rest waits in the stream, not in memory); and once it
catches up, every result is in the audit trail exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from sqlalchemy import func, select

from adapters.base import AdapterPorts
from adapters.lims.adapter import LimsHl7Adapter
from adapters.lims.config import LimsAdapterConfig
from gxplink.bench.hl7_ingest import ingest, oru_r01
from orchestrator.audit.draft import Draft
from orchestrator.audit.schema import records
from orchestrator.audit.writer import AuditWriter
from storage.engine import default_url, make_engine

from .conftest import eventually

pytestmark = pytest.mark.integration
MESSAGES, RESULTS_PER_MESSAGE, BATCH = 60, 3, 16


@pytest.fixture
def nc(private_nc: Client) -> Client:
    return private_nc


async def test_a_slow_audit_writer_neither_slows_nor_loses_the_lims_feed(
        nc: Client, ports_for: Callable[[str], AdapterPorts], tmp_path: Path) -> None:
    ports = ports_for("lims")
    adapter = LimsHl7Adapter(ports, LimsAdapterConfig(lims_url=None))
    engine = make_engine(default_url(tmp_path / "audit"))
    writer = AuditWriter(nc.jetstream(), engine, tmp_path / "keys", durable_prefix="slow-audit", batch=BATCH)
    await writer.start()
    store = writer.store
    assert store is not None
    append = store.append
    in_flight: list[int] = []

    async def slow_append(drafts: Sequence[Draft], *args: Any, **kwargs: Any) -> Any:
        in_flight.append(len(drafts))
        await asyncio.sleep(0.2)
        return await append(drafts, *args, **kwargs)

    store.append = slow_append  # type: ignore[method-assign]
    await adapter.start()
    run = uuid.uuid4().hex[:8]
    try:
        listener = adapter.listener
        accepted, _, _ = await ingest(listener.host, listener.port, [oru_r01(run, n) for n in range(MESSAGES)])
        assert accepted == MESSAGES  # every message answered AA while the writer lags behind
        info = await nc.jetstream().consumer_info("GXP_EVENTS", "slow-audit-events")
        assert info.num_pending > 0, "the writer kept up, so this test proves nothing"
        assert info.num_ack_pending <= BATCH  # unacknowledged: one fetch at most

        async def ours() -> int:
            async with engine.connect() as conn:
                query = select(func.count()).select_from(records).where(records.c.correlation_id.like(f"CART-{run}-%"))
                return int((await conn.execute(query)).scalar_one())

        assert await eventually(lambda: _equals(ours, MESSAGES * RESULTS_PER_MESSAGE), timeout=120)
        assert await ours() == MESSAGES * RESULTS_PER_MESSAGE  # exactly once: nothing lost, nothing twice
        assert max(in_flight) <= BATCH
    finally:
        await adapter.stop()
        await writer.stop()
        await engine.dispose()


async def _equals(count: Callable[[], Any], wanted: int) -> bool:
    return bool(await count() >= wanted)
