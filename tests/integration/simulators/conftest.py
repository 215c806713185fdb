"""Start one simulator (or all) in-process on port 0, with its admin endpoint, for a test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from simulators.common.base import Simulator
from simulators.common.runner import SimulatorSet

StartSim = Callable[..., Awaitable[tuple[Simulator, str]]]


@pytest.fixture
async def start_sim(tmp_path: Path) -> AsyncIterator[StartSim]:
    """`sim, admin_url = await start_sim("lims", data_dir=None, seed=42)`; stopped after the test."""
    running: list[SimulatorSet] = []

    async def start(system: str, data_dir: Path | None = None, seed: int = 42) -> tuple[Simulator, str]:
        sims = SimulatorSet(data_dir or tmp_path, (system,), seed=seed)
        endpoints = await sims.start()
        running.append(sims)
        return sims.simulators[system], endpoints["sim_admin"]

    yield start
    for sims in reversed(running):
        await sims.stop()


async def set_faults(admin_url: str, system: str, **faults: object) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.put(f"{admin_url}/sims/{system}/faults", json=faults)
        response.raise_for_status()
