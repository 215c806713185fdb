"""The inbox never blocks the OPC UA reader: overflow is counted, then recovered by a resync."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from adapters.deltav.inbox import Inbox, Resync
from adapters.deltav.model import Sample
from adapters.deltav.telemetry import DeltaVMetrics

pytestmark = pytest.mark.unit


def sample(n: int) -> Sample:
    return Sample("DeltaV/A/C/U/M/PV", float(n), "Good", datetime.now(UTC))


async def test_overflow_drops_until_the_backlog_is_worked_off_then_resyncs() -> None:
    metrics = DeltaVMetrics(CollectorRegistry())
    inbox = Inbox(10, metrics.dropped)
    sink = inbox.new_generation()
    for n in range(12):
        sink.data_change(sample(n))
    assert inbox.gap and metrics.dropped._value.get() == 2
    for n in range(10):
        item = await inbox.get()
        assert isinstance(item, Sample) and item.value == float(n)
        if n == 4:
            sink.data_change(sample(99))  # still in gap mode: dropped although there is room now
    assert metrics.dropped._value.get() == 3
    assert isinstance(await inbox.get(), Resync) and not inbox.gap
    sink.data_change(sample(100))
    assert (await inbox.get()).value == 100.0


async def test_a_replaced_session_is_not_heard_any_more() -> None:
    inbox = Inbox(10, DeltaVMetrics(CollectorRegistry()).dropped)
    old = inbox.new_generation()
    new = inbox.new_generation()
    old.data_change(sample(1))
    old.lost("late loss of the old session")
    assert inbox.qsize() == 0 and not inbox.loss.is_set()
    new.lost("transport closed")
    new.lost("second report")
    assert inbox.loss.is_set() and inbox.loss_reason == "transport closed"
