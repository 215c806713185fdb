"""The MES adapter under the simulator's faults, and across restarts: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.mes.feed import CURSOR
from canonical_model.commands.mes import AttachExternalReference, HoldBatch
from simulators.common.faults import FaultConfig
from storage.cursors import CursorStore

from .conftest import eventually
from .test_mes_adapter import HISTORICAL, MesStack, all_of, batch_events, mes, run_command

pytestmark = pytest.mark.integration
__all__ = ["mes"]  # the fixture, shared with test_mes_adapter


async def running_batch(stack: MesStack, batch: str, steps: int = 1) -> None:
    await stack.sim.actions()["create_batch"]({"batch_id": batch})
    await stack.sim.actions()["start_batch"]({"batch_id": batch})
    for _ in range(steps):
        await stack.sim.actions()["advance_batch"]({"batch_id": batch})


async def exactly_once(stack: MesStack, nc: Client, batch: str) -> None:
    events = await eventually(lambda: all_of(nc, batch, stack.expected(batch)), timeout=20)
    await asyncio.sleep(0.3)  # a few more polls: nothing else may arrive
    again = await batch_events(nc, batch)
    assert len(events) == len(again) == stack.expected(batch) == len({e["id"] for e in again})


async def test_duplicate_feed_deliveries_make_no_duplicate_events(mes: MesStack, nc: Client, token: str) -> None:
    await mes.sim.ctx.faults.apply(FaultConfig(duplicate_rate=1.0))
    await mes.start_adapter(page_size=5)
    await running_batch(mes, f"B-{token}", steps=2)
    await exactly_once(mes, nc, f"B-{token}")


async def test_503s_and_cut_off_answers_delay_but_lose_nothing(mes: MesStack, nc: Client, token: str) -> None:
    await mes.sim.ctx.faults.apply(FaultConfig(error_rate=0.25, malformed_rate=0.15, duplicate_rate=0.3))
    adapter = await mes.start_adapter(page_size=4)
    await running_batch(mes, f"B-{token}", steps=2)
    attached = await run_command(nc, AttachExternalReference(batch_id=HISTORICAL, system="qms",
                                                             reference_type="deviation", reference_id=f"DEV-{token}"))
    await exactly_once(mes, nc, f"B-{token}")
    assert attached["type"].endswith("command_succeeded.v1"), attached
    refs = [r for r in mes.sim.store.batch(HISTORICAL)["external_references"] if r["reference"] == f"DEV-{token}"]
    assert len(refs) == 1
    assert adapter.ports.metrics.registry.get_sample_value("gxplink_dead_letters_total", {"system": "mes"}) == 0


@pytest.mark.requirement("URS-004")
async def test_a_command_whose_answer_is_lost_is_executed_once(mes: MesStack, nc: Client, token: str) -> None:
    """The MES holds the batch but its answer is cut off; the retry finds the batch held: success, one hold."""
    await mes.start_adapter()
    batch = f"B-{token}"
    await running_batch(mes, batch, steps=0)
    await mes.sim.ctx.faults.apply(FaultConfig(malformed_rate=1.0))
    task = asyncio.create_task(run_command(nc, HoldBatch(batch_id=batch, reason="answer lost")))
    assert await eventually(lambda: _state(mes, batch, "on_hold"), timeout=10)
    await mes.sim.ctx.faults.apply(FaultConfig())
    reply = await task
    assert reply["type"].endswith("command_succeeded.v1") and "already" in reply["data"]["detail"], reply
    assert [h["action"] for h in mes.sim.store.batch(batch)["state_history"]] == ["release", "start", "hold"]


async def test_a_command_that_times_out_is_retried(mes: MesStack, nc: Client, token: str) -> None:
    await mes.start_adapter(request_timeout_seconds=0.3)
    batch = f"B-{token}"
    await running_batch(mes, batch, steps=0)
    await mes.sim.ctx.faults.apply(FaultConfig(latency_ms=500))
    task = asyncio.create_task(run_command(nc, HoldBatch(batch_id=batch, reason="slow MES")))
    await asyncio.sleep(0.5)  # a few timed-out attempts
    await mes.sim.ctx.faults.apply(FaultConfig())
    reply = await task
    assert reply["type"].endswith("command_succeeded.v1"), reply
    assert [h["action"] for h in mes.sim.store.batch(batch)["state_history"]] == ["release", "start", "hold"]


async def _state(stack: MesStack, batch: str, state: str) -> bool:
    return bool(stack.sim.store.batch(batch)["state"] == state)


async def test_a_slow_mes_is_still_followed(mes: MesStack, nc: Client, token: str) -> None:
    await mes.sim.ctx.faults.apply(FaultConfig(latency_ms=150))
    await mes.start_adapter()
    await running_batch(mes, f"B-{token}")
    await exactly_once(mes, nc, f"B-{token}")


async def test_an_mes_that_goes_down_is_followed_again_when_back(mes: MesStack, nc: Client, token: str) -> None:
    adapter = await mes.start_adapter()
    await mes.sim.ctx.faults.apply(FaultConfig(down=True))
    await running_batch(mes, f"B-{token}")  # the shop floor goes on while the interface is off
    health = await adapter.health()
    assert health.status == "degraded" and health.checks["mes_reachable"] == "failed"
    await asyncio.sleep(0.3)
    assert await batch_events(nc, f"B-{token}") == []
    await mes.sim.ctx.faults.apply(FaultConfig(down=False))
    await exactly_once(mes, nc, f"B-{token}")
    assert (await adapter.health()).status == "up"
    assert (adapter.ports.metrics.registry.get_sample_value("gxplink_reconnects_total", {"system": "mes"}) or 0) >= 1


@pytest.mark.requirement("URS-003")
async def test_restarts_of_the_mes_and_of_the_adapter_lose_and_double_nothing(
        mes: MesStack, nc: Client, token: str, ports_for: Callable[[str], AdapterPorts], tmp_path: Path) -> None:
    first = await mes.start_adapter()
    await running_batch(mes, f"B-{token}")
    await eventually(lambda: all_of(nc, f"B-{token}", mes.expected(f"B-{token}")))
    await first.stop()
    await running_batch(mes, f"C-{token}")  # while the adapter is off
    await mes.sims.stop()  # the MES restarts on its data dir and port
    await mes.start_sim()
    await mes.sim.actions()["advance_batch"]({"batch_id": f"C-{token}"})
    await mes.start_adapter()  # a new adapter on the same store: it resumes at its cursor
    for batch in (f"B-{token}", f"C-{token}"):
        await exactly_once(mes, nc, batch)
    cursor = await eventually(lambda: _cursor_at(mes, mes.sim.store.feed.last_seq))
    assert cursor == str(mes.sim.store.feed.last_seq)


async def _cursor_at(stack: MesStack, seq: int) -> str | None:
    stored = await CursorStore(stack.ports.engine).get(CURSOR)
    return stored if stored == str(seq) else None
