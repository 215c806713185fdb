"""The ERP adapter's inbound side against the ERP simulator over real HTTP and a real nats-server.

Change feed -> canonical events (with enrichment, the feed's duplicates, skipped kinds), the opening
BOMs, change documents on gxp.audit.erp, faults (down, slow, 503, cut-off bodies) and a restart of
the simulator on the same data dir with nothing lost or doubled.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.erp.adapter import ErpRestAdapter
from adapters.erp.config import ErpAdapterConfig
from adapters.erp.feed import OPENING_BOMS
from messaging.dead_letters import list_dead_letters
from messaging.streams import AUDIT, EVENTS
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet
from storage.cursors import CursorStore

from .conftest import eventually, stream_messages

pytestmark = pytest.mark.integration
Event = dict[str, Any]


@dataclass
class ErpStack:
    tmp_path: Path
    ports: AdapterPorts
    sims: SimulatorSet
    adapter: ErpRestAdapter | None = None

    @property
    def sim(self) -> Any:
        return self.sims.simulators["erp"]

    def config(self) -> ErpAdapterConfig:
        auth = self.sims.endpoints()["sim"]["erp_auth"]
        return ErpAdapterConfig(url=self.sim.url, username=auth["username"], password=auth["password"],
                                timeout_seconds=2, feed_poll_seconds=0.1, audit_poll_seconds=0.2)

    async def start_adapter(self) -> ErpRestAdapter:
        self.adapter = ErpRestAdapter(self.ports, self.config())
        await self.adapter.start()
        return self.adapter

    async def act(self, name: str, **params: Any) -> Any:
        return await self.sim.actions()[name](params)

    async def faults(self, **config: Any) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(**config))

    async def restart_simulator(self) -> None:
        """Stop the ERP and start it again on the same data dir and port (its state read back from disk)."""
        port = self.sim.port
        await self.sims.stop()
        self.sims = SimulatorSet(self.tmp_path / "sims", ("erp",), ports={"erp": port})
        await self.sims.start()


def unique_numbers(sim: Any) -> None:
    """Start this simulator's change feed at a random seq.

    Event ids derive from the feed record (seq, object); every test's fresh ERP numbers its feed from 1,
    so without this a later test's event would be dropped by JetStream's duplicate window as a repeat.
    """
    sim.store.state.data.setdefault("_counters", {})["change"] = random.randrange(10**9, 10**13)
    sim.store.save()


@pytest.fixture
def nc(private_nc: Client) -> Client:
    """This module counts every ERP event on the stream: other modules' ERP simulators (same seed, same
    lot and BOM ids) must not add to its counts."""
    return private_nc


@pytest.fixture
async def erp(tmp_path: Path, ports_for: Callable[[str], AdapterPorts]) -> AsyncIterator[ErpStack]:
    sims = SimulatorSet(tmp_path / "sims", ("erp",))
    await sims.start()
    stack = ErpStack(tmp_path, ports_for("erp"), sims)
    unique_numbers(stack.sim)
    await stack.start_adapter()
    yield stack
    if stack.adapter is not None:
        await stack.adapter.stop()
    await stack.sims.stop()


async def erp_events(nc: Client, keep: Callable[[Event], bool]) -> list[Event]:
    return [e for e in await stream_messages(nc, EVENTS.name, "gxp.evt.erp.>") if keep(e)]


async def wait_for(nc: Client, keep: Callable[[Event], bool], count: int, timeout: float = 15) -> list[Event]:
    async def enough() -> list[Event]:
        found = await erp_events(nc, keep)
        return found if len(found) >= count else []
    return await eventually(enough, timeout) or await erp_events(nc, keep)


def about(*names: str) -> Callable[[Event], bool]:
    """Events whose subject or correlation names one of `names` (lots, batches)."""
    return lambda e: any(n in (e.get("subject") or "") or n == e.get("correlationid") for n in names)


def kinds(events: list[Event]) -> list[str]:
    return sorted(e["type"].split(".")[-2] for e in events)


async def test_lots_decisions_movements_and_orders_become_events_once(erp: ErpStack, nc: Client, token: str) -> None:
    await erp.faults(duplicate_rate=0.5)  # the feed delivers records twice
    lot, batch = f"LVV-{token}", f"CART-{token}"
    await erp.act("create_lot", lot_id=lot, material="MAT-LVV", quantity=40, unit="mL")
    await erp.act("usage_decision", lot_id=lot, decision="accept", user="qa.mlee", reason="incoming tests passed")
    order = await erp.act("create_production_order", batch_id=batch)  # created, then released: a skipped record
    await erp.act("post_goods_receipt", lot_id=f"L-{batch}", quantity=140, unit="mL", production_order=order["id"])
    expected = ["inventory_transaction_posted", "inventory_transaction_posted", "lot_created", "lot_created",
                "lot_released", "lot_status_changed", "production_order_created"]
    events = await wait_for(nc, about(lot, batch, f"production_order/{order['id']}"), len(expected))
    assert kinds(events) == expected
    assert len({e["id"] for e in events}) == len(events)
    by_kind = {e["type"].split(".")[-2]: e for e in events}
    assert by_kind["lot_released"]["data"]["disposition"]["decided_by"] == "qa.mlee"
    assert by_kind["lot_status_changed"]["data"]["version"] == '"2"'
    assert {e["data"]["transaction"]["kind"] for e in events if "transaction" in e["data"]} == {"transfer", "receipt"}
    output = next(e for e in events if e["type"].endswith("lot_created.v1") and e.get("correlationid") == batch)
    assert output["data"]["lot"]["batch_id"] == batch
    skipped = erp.ports.metrics.registry.get_sample_value(
        "gxplink_feed_records_skipped_total", {"system": "erp", "type": "production_order_status_changed"})
    assert skipped == 1
    assert not [d for d in await list_dead_letters(nc.jetstream()) if token in d.payload]


async def test_opening_boms_are_published_once_and_bom_changes_follow_the_feed(
        erp: ErpStack, nc: Client, token: str) -> None:
    cursors = CursorStore(erp.ports.engine)
    assert await eventually(lambda: cursors.get(OPENING_BOMS)) == "BOM-MAT-CART@1"
    opening = await erp_events(nc, lambda e: e["type"].endswith("bom_published.v1")
                               and e["data"]["bom"]["version"] == 1)
    assert len(opening) == 1 and len(opening[0]["data"]["bom"]["lines"]) == 7
    import httpx

    auth = erp.sims.endpoints()["sim"]["erp_auth"]
    async with httpx.AsyncClient(base_url=erp.sim.url, auth=(auth["username"], auth["password"])) as http:
        changed = await http.patch("/boms/BOM-MAT-CART", headers={"If-Match": '"1"'}, json={
            "items": [{"material": "MAT-LVV", "quantity": 2.5, "unit": "mL"}], "reason": f"ECN {token}"})
    assert changed.status_code == 200
    (v2,) = await wait_for(nc, lambda e: e["type"].endswith("bom_published.v1") and e["subject"] == "bom/BOM-MAT-CART"
                           and e["sourcetime"] > opening[0]["sourcetime"], 1)
    assert v2["data"]["bom"]["version"] == 2 and v2["data"]["bom"]["lines"][0]["quantity"]["value"] == 2.5


async def test_change_documents_are_relayed_on_the_audit_subject(erp: ErpStack, nc: Client, token: str) -> None:
    lot = f"MED-{token}"
    await erp.act("create_lot", lot_id=lot, material="MAT-MED", quantity=10, unit="L")
    await erp.act("usage_decision", lot_id=lot, decision="block", user="qa.mlee", reason=f"deviation {token}")

    async def trail() -> list[Event]:
        found = [e for e in await stream_messages(nc, AUDIT.name, "gxp.audit.erp")
                 if e["data"]["record"]["correlation"].get("lot_id") == lot]
        return found if len(found) >= 4 else []
    entries = await eventually(trail)
    assert {e["data"]["record"]["action"] for e in entries} >= {"lot_created", "lot_status_changed"}
    status = next(e for e in entries if e["data"]["record"]["action"] == "lot_status_changed")
    assert status["data"]["record"]["changes"] == [{"field": "status", "old": "quarantine", "new": "blocked"}]
    assert status["actor"] == "user:qa.mlee"


async def test_down_slow_failing_and_cut_off_answers_lose_and_double_nothing(
        erp: ErpStack, nc: Client, token: str) -> None:
    await erp.faults(down=True)
    await asyncio.sleep(0.5)  # the adapter polls a closed port meanwhile
    assert erp.adapter is not None and (await erp.adapter.health()).checks["erp_reachable"] == "failed"
    await erp.faults(down=False, latency_ms=20, error_rate=0.3, malformed_rate=0.3, duplicate_rate=0.3)
    lots = [f"BAG-{token}-{n}" for n in range(4)]
    for lot in lots:
        await erp.act("create_lot", lot_id=lot, material="MAT-BAG", quantity=10, unit="{each}")
    await erp.act("usage_decision", lot_id=lots[0], decision="accept", user="qa.mlee", reason="ok")
    events = await wait_for(nc, about(*lots), 7, timeout=20)
    assert kinds(events) == ["inventory_transaction_posted", *["lot_created"] * 4, "lot_released",
                             "lot_status_changed"]
    assert len({e["id"] for e in events}) == len(events)
    await erp.faults()
    assert (await erp.adapter.health()).status == "up"


async def test_a_simulator_restart_on_the_same_data_dir_loses_and_doubles_nothing(
        erp: ErpStack, nc: Client, token: str) -> None:
    first, second = f"TXA-{token}-1", f"TXA-{token}-2"
    await erp.act("create_lot", lot_id=first, material="MAT-TXA", quantity=5, unit="mL")
    await wait_for(nc, about(first), 1)
    await erp.restart_simulator()  # the adapter meanwhile polls a closed port
    await erp.act("create_lot", lot_id=second, material="MAT-TXA", quantity=5, unit="mL")
    await erp.act("usage_decision", lot_id=second, decision="reject", user="qa.mlee", reason="sterility failure")
    assert kinds(await wait_for(nc, about(second), 4)) == ["inventory_transaction_posted", "lot_created",
                                                           "lot_rejected", "lot_status_changed"]
    assert erp.adapter is not None
    await erp.adapter.stop()  # and the adapter itself restarts from its persisted cursors
    repeats = erp.ports.metrics.duplicates._value.get()
    restarted = await erp.start_adapter()
    await erp.act("create_lot", lot_id=f"{second}-b", material="MAT-TXA", quantity=5, unit="mL")
    await wait_for(nc, about(f"{second}-b"), 1)
    events = await erp_events(nc, about(first, second))
    assert kinds(events) == ["inventory_transaction_posted", "lot_created", "lot_created", "lot_created",
                             "lot_rejected", "lot_status_changed"]
    assert len({e["id"] for e in events}) == len(events)
    assert restarted.ports.metrics.duplicates._value.get() == repeats  # nothing was taken a second time
