"""The adapter contract: every adapter passes it, against a fake and against its real simulator.

start/stop idempotent; health; inbound round trip; command -> reply with causation, executed once;
reconnect after the system restarts with nothing lost or duplicated; poison input -> dead letter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from messaging.dead_letters import list_dead_letters
from messaging.publisher import Publisher

from ..integration.adapters.conftest import stream_messages
from .conftest import clear_consumer
from .harness import AdapterHarness

pytestmark = pytest.mark.integration


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := await check()) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    return value


async def events_of(nc: Client, harness: AdapterHarness, token: str) -> list[dict[str, Any]]:
    return [e for e in await stream_messages(nc, "GXP_EVENTS", f"gxp.evt.{harness.system}.>")
            if harness.produced(e, token)]


@pytest.fixture
async def adapter(harness: AdapterHarness, tmp_path: Path, ports: Callable[[str], AdapterPorts], nc: Client) -> Any:
    await clear_consumer(nc, harness.system)
    built = await harness.build(tmp_path, ports)
    yield built
    await built.stop()


async def test_start_and_stop_are_idempotent_and_restartable(adapter: Any) -> None:
    await adapter.start()
    await adapter.start()
    assert adapter.running
    await adapter.stop()
    await adapter.stop()
    assert not adapter.running
    await adapter.start()
    assert adapter.running


async def test_health_follows_the_system(adapter: Any, harness: AdapterHarness) -> None:
    await adapter.start()
    assert (await adapter.health()).status == "up"
    await harness.set_down(True)
    assert (await adapter.health()).status != "up"
    await harness.set_down(False)
    assert (await adapter.health()).status == "up"


async def test_inbound_round_trip(adapter: Any, harness: AdapterHarness, nc: Client, token: str) -> None:
    await adapter.start()
    await harness.emit(token)
    events = await eventually(lambda: events_of(nc, harness, token))
    assert events, "no event for the emitted record"
    assert all(e["mapping"] and e["traceparent"] and e["sourcesystem"] == harness.system for e in events)


async def test_a_command_is_answered_with_its_causation_and_executed_once(
        adapter: Any, harness: AdapterHarness, nc: Client, token: str) -> None:
    await adapter.start()
    command = harness.command(token)
    await Publisher(nc.jetstream()).publish(command)

    async def replies() -> list[dict[str, Any]]:
        return [e for e in await stream_messages(nc, "GXP_EVENTS", f"gxp.evt.{harness.system}.>")
                if e.get("causationid") == command.id]
    (reply,) = await eventually(replies)
    assert reply["type"].endswith("command_succeeded.v1"), reply
    assert await harness.executed(token) == 1
    # the same command again (a redelivery after a lost ack) acts no second time and answers the same reply
    await adapter.stop()
    await clear_consumer(nc, harness.system)
    await adapter.start()
    await eventually(lambda: _consumed(nc, harness.system))
    assert await harness.executed(token) == 1
    assert len(await replies()) == 1


async def test_reconnect_after_the_system_restarts_loses_and_doubles_nothing(
        adapter: Any, harness: AdapterHarness, nc: Client, token: str) -> None:
    await adapter.start()
    await harness.emit(f"{token}a")
    assert await eventually(lambda: events_of(nc, harness, f"{token}a"))
    await harness.set_down(True)
    command = harness.command(f"{token}c")
    await Publisher(nc.jetstream()).publish(command)  # arrives while the system is down
    await asyncio.sleep(0.5)
    await harness.set_down(False)
    await harness.emit(f"{token}b")
    assert await eventually(lambda: events_of(nc, harness, f"{token}b"))
    assert await eventually(lambda: _executed(harness, f"{token}c"), timeout=40)
    everything = await stream_messages(nc, "GXP_EVENTS", f"gxp.evt.{harness.system}.>")
    ids = [e["id"] for e in everything]
    assert len(ids) == len(set(ids))


async def test_poison_input_goes_to_the_dead_letters_with_a_reason(
        adapter: Any, harness: AdapterHarness, nc: Client, token: str) -> None:
    await adapter.start()
    await harness.poison(adapter, token)
    letters = await eventually(lambda: _letters(nc, token))
    assert letters and letters[0].reason and letters[0].origin == harness.system
    assert adapter.running


async def _letters(nc: Client, token: str) -> list[Any]:
    return [d for d in await list_dead_letters(nc.jetstream()) if token in d.payload]


async def _executed(harness: AdapterHarness, token: str) -> bool:
    return await harness.executed(token) >= 1


async def _consumed(nc: Client, system: str) -> bool:
    try:
        info = await nc.jetstream().consumer_info("GXP_COMMANDS", f"adapter_{system}_commands")
    except Exception:
        return False
    return info.num_pending == 0 and info.num_ack_pending == 0
