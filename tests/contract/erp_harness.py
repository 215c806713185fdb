"""ERP harnesses: the bundled ERP simulator over REST/JSON, and the in-memory fake.

A record about `token` is a new batch LOT-<token>; the command is a production order for batch
B-<token>; poison is a batch naming a production order the ERP does not have, which the adapter
cannot enrich and therefore dead-letters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.base import Adapter, AdapterPorts
from adapters.erp.adapter import ErpRestAdapter
from adapters.erp.config import ErpAdapterConfig
from adapters.erp.fake import FakeErp
from canonical_model.base import Quantity
from canonical_model.commands.erp import CreateProductionOrder
from canonical_model.envelope import Envelope
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet

from .harness import AdapterHarness


def _order(token: str) -> Envelope[Any]:
    return Envelope.wrap(CreateProductionOrder(product="MAT-CART", quantity=Quantity(value=140.0, unit="mL"),
                                               batch_id=f"B-{token}", planned_start=datetime(2026, 12, 1, tzinfo=UTC)),
                         source="/contract", actor="service:contract", sourcesystem="gxplink")


def _is_lot(event: dict[str, Any], token: str) -> bool:
    return bool(event["type"].endswith("erp.lot_created.v1") and event["data"]["lot"]["lot_id"] == f"LOT-{token}")


class ErpSimulatorHarness(AdapterHarness):
    system, kind = "erp", "simulator"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.sims = SimulatorSet(tmp_path / "sims", ("erp",))
        endpoints = await self.sims.start()
        self.sim: Any = self.sims.simulators["erp"]
        self.url, self.auth = endpoints["sim"]["erp"], endpoints["sim"]["erp_auth"]
        return ErpRestAdapter(ports("erp"), ErpAdapterConfig(
            url=self.url, username=self.auth["username"], password=self.auth["password"], timeout_seconds=2,
            feed_poll_seconds=0.2, audit_poll_seconds=0.5))

    async def close(self) -> None:
        await self.sims.stop()

    async def emit(self, token: str) -> None:
        await self.sim.actions()["create_lot"]({"lot_id": f"LOT-{token}", "material": "MAT-LVV", "quantity": 5,
                                                "unit": "mL"})

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _is_lot(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _order(token)

    async def executed(self, token: str) -> int:
        return sum(1 for o in self.sim.store.orders.values() if o["batch_id"] == f"B-{token}")

    async def set_down(self, down: bool) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(down=down))

    async def poison(self, adapter: Adapter, token: str) -> None:
        async with httpx.AsyncClient(base_url=self.url, auth=(self.auth["username"], self.auth["password"])) as erp:
            answer = await erp.post("/lots", json={"id": f"LOT-{token}", "material": "MAT-CART", "quantity": 70,
                                                   "unit": "mL", "production_order": f"PO-{token}"})
            answer.raise_for_status()


class ErpFakeHarness(AdapterHarness):
    system, kind = "erp", "fake"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.fake = FakeErp()
        return ErpRestAdapter(ports("erp"), ErpAdapterConfig(feed_poll_seconds=0.1, audit_poll_seconds=60),
                              api=self.fake)

    async def close(self) -> None:
        return None

    async def emit(self, token: str) -> None:
        self.fake.add_lot(f"LOT-{token}")

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _is_lot(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _order(token)

    async def executed(self, token: str) -> int:
        return sum(1 for o in self.fake.orders.values() if o["batch_id"] == f"B-{token}")

    async def set_down(self, down: bool) -> None:
        self.fake.down = down

    async def poison(self, adapter: Adapter, token: str) -> None:
        self.fake.add_lot(f"LOT-{token}", "MAT-CART", production_order=f"PO-{token}")
