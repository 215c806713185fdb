"""The session supervisor: a lost session or a silent subscription is replaced, with backoff, and resynced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.fake import FakeDeltaV
from adapters.deltav.inbox import Inbox, Resync
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.watchdog import Supervisor
from adapters.framework.metrics import AdapterMetrics

pytestmark = pytest.mark.unit


@pytest.fixture
async def running() -> AsyncIterator[tuple[FakeDeltaV, Supervisor, Inbox]]:
    fake = FakeDeltaV()
    config = DeltaVAdapterConfig(url=fake.url, security_policy="None", security_mode="None", watchdog_seconds=0.02,
                                 publishing_interval_ms=10, keepalive_count=2, reconnect_initial_seconds=0.02,
                                 reconnect_max_seconds=0.08)
    registry = CollectorRegistry()
    inbox = Inbox(100, DeltaVMetrics(registry).dropped)
    supervisor = Supervisor(fake, inbox, config, AdapterMetrics("deltav", registry))
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    await asyncio.wait_for(supervisor.ready.wait(), 2)
    yield fake, supervisor, inbox
    stop.set()
    await asyncio.wait_for(task, 2)
    assert fake.live == []  # the last session was closed


async def until(check: object, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def resyncs(inbox: Inbox) -> list[str]:
    found = []
    while inbox.qsize():
        item = await inbox.get()
        if isinstance(item, Resync):
            found.append(item.reason)
    return found


async def test_a_lost_session_is_replaced_after_the_system_is_back(running: tuple[FakeDeltaV, Supervisor, Inbox]
                                                                   ) -> None:
    fake, supervisor, inbox = running
    await fake.set_down(True)
    await until(lambda: not supervisor.ready.is_set())
    await asyncio.sleep(0.2)  # several refused attempts, backing off
    assert fake.connects == 1 and "refuses" in supervisor.last_problem
    await fake.set_down(False)
    await until(supervisor.ready.is_set)
    assert fake.connects == 2 and supervisor.metrics.reconnects._value.get() == 1
    assert await resyncs(inbox) == ["connected", "reconnected"]


async def test_a_silent_subscription_counts_as_dead(running: tuple[FakeDeltaV, Supervisor, Inbox]) -> None:
    fake, supervisor, inbox = running
    fake.silent_for = 60.0  # no publish response, not even a keep-alive, for a minute
    await until(lambda: fake.connects >= 2)
    assert "stale" in supervisor.last_problem
    fake.silent_for = 0.0
    await until(supervisor.ready.is_set)
    assert "reconnected" in await resyncs(inbox)
