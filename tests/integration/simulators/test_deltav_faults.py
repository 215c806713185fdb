"""DeltaV fault injection over the real socket: latency, down, Bad status answers, NaN readings, duplicates, skew."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asyncua import Client, ua

from simulators.common.runner import SimulatorSet

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
PV = "ns=2;s=BR-101/TIC-101/PV"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def endpoints(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    sims = SimulatorSet(tmp_path_factory.mktemp("deltav-faults"), ("deltav",))
    yield await sims.start()
    await sims.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def url(endpoints: dict[str, Any]) -> AsyncIterator[str]:
    yield endpoints["sim"]["deltav"]
    await set_faults(endpoints)


async def set_faults(endpoints: dict[str, Any], **faults: object) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.put(f"{endpoints['sim_admin']}/sims/deltav/faults", json=faults)
        response.raise_for_status()


class Recorder:
    def __init__(self) -> None:
        self.values: list[ua.DataValue] = []

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.values.append(data.monitored_item.Value)

    async def until(self, count: int) -> list[ua.DataValue]:
        for _ in range(60):
            if len(self.values) >= count:
                break
            await asyncio.sleep(0.1)
        return self.values


async def test_latency_delays_answers(url: str, endpoints: dict[str, Any]) -> None:
    await set_faults(endpoints, latency_ms=1500)
    async with Client(url, timeout=10) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.get_node(PV).read_value(), 0.5)
        await set_faults(endpoints)
    async with Client(url, timeout=10) as client:
        assert isinstance(await asyncio.wait_for(client.get_node(PV).read_value(), 5.0), float)


async def test_down_refuses_connections_and_up_reopens_the_same_port(url: str, endpoints: dict[str, Any]) -> None:
    await set_faults(endpoints, down=True)
    with pytest.raises(OSError):
        await Client(url, timeout=5).connect()
    await set_faults(endpoints, down=False)
    async with Client(url, timeout=10) as client:
        assert isinstance(await client.get_node(PV).read_value(), float)


async def test_error_fault_answers_bad_internal_error(url: str, endpoints: dict[str, Any]) -> None:
    async with Client(url, timeout=10) as client:
        sp = client.get_node("ns=2;s=FF-101/Phase")
        await set_faults(endpoints, error_rate=1.0)
        with pytest.raises(ua.uaerrors.BadInternalError):
            await client.get_node(PV).read_value()
        with pytest.raises(ua.uaerrors.BadInternalError):
            await client.get_node("ns=2;s=BR-101/TIC-101/SP").write_value(ua.Variant(37.1, ua.VariantType.Double))
        with pytest.raises(ua.uaerrors.BadInternalError):
            await sp.call_method(ua.NodeId("FF-101/Phase/Start", 2), "B-ERR-1", "")
        await set_faults(endpoints)
        assert await client.get_node("ns=2;s=BR-101/TIC-101/SP").read_value() == 37.0
        assert await client.get_node("ns=2;s=FF-101/Phase/CurrentState").read_value() == "IDLE"


async def test_malformed_fault_publishes_nan_with_good_status(url: str, endpoints: dict[str, Any]) -> None:
    async with Client(url, timeout=10) as client:
        recorder = Recorder()
        sub = await client.create_subscription(100, recorder)
        await sub.subscribe_data_change(client.get_node(PV))
        await recorder.until(1)
        await set_faults(endpoints, malformed_rate=1.0)
        values = await recorder.until(3)
    nan = [dv for dv in values if math.isnan(dv.Value.Value)]
    assert nan and all(dv.StatusCode.is_good() for dv in nan)


async def test_duplicate_fault_delivers_the_same_notification_twice(url: str, endpoints: dict[str, Any]) -> None:
    async with Client(url, timeout=10) as client:
        recorder = Recorder()
        sub = await client.create_subscription(100, recorder)
        await sub.subscribe_data_change(client.get_node(PV))
        await recorder.until(1)
        await set_faults(endpoints, duplicate_rate=1.0)
        values = await recorder.until(6)
    keys = [(dv.Value.Value, dv.SourceTimestamp) for dv in values]
    assert any(keys.count(key) >= 2 for key in keys), keys


async def test_clock_skew_moves_source_timestamps(url: str, endpoints: dict[str, Any]) -> None:
    await set_faults(endpoints, clock_skew_seconds=7200)
    await asyncio.sleep(0.7)  # one scan
    async with Client(url, timeout=10) as client:
        stamp = (await client.get_node(PV).read_data_value()).SourceTimestamp
    assert stamp is not None and stamp > datetime.now(UTC) + timedelta(seconds=7000)
