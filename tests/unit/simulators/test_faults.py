"""The admin endpoint and the shared fault machinery, independent of any one protocol."""

from __future__ import annotations

import pytest

from simulators.common.clock import SimClock
from simulators.common.faults import FaultConfig, Faults

pytestmark = pytest.mark.unit


async def test_same_seed_injects_the_same_faults() -> None:
    runs = []
    for _ in range(2):
        faults = Faults(SimClock(), seed=7)
        await faults.apply(FaultConfig(error_rate=0.3))
        runs.append([faults.error() for _ in range(50)])
    assert runs[0] == runs[1] and 5 < sum(runs[0]) < 25


async def test_clock_skew_moves_the_system_clock() -> None:
    clock = SimClock()
    faults = Faults(clock)
    before = clock.now()
    await faults.apply(FaultConfig(clock_skew_seconds=3600))
    assert 3599 < (clock.now() - before).total_seconds() < 3610


async def test_down_handlers_fire_only_on_change() -> None:
    faults = Faults(SimClock())
    calls: list[bool] = []

    async def handler(down: bool) -> None:
        calls.append(down)

    faults.on_down_changed(handler)
    await faults.apply(FaultConfig(down=True))
    await faults.apply(FaultConfig(down=True, latency_ms=5))
    await faults.apply(FaultConfig())
    assert calls == [True, False]
