"""LIMS harnesses: the bundled LIMS simulator over MLLP, and the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.base import Adapter, AdapterPorts
from adapters.lims.adapter import LimsHl7Adapter
from adapters.lims.config import LimsAdapterConfig
from adapters.lims.fake import FakeLimsSender
from canonical_model.commands.lims import PlaceTestOrder
from canonical_model.envelope import Envelope
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet

from .harness import AdapterHarness


def _oru(token: str) -> bytes:
    return (f"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20261122101500+0000||ORU^R01^ORU_R01|M-{token}|P|2.5.1\r"
            f"ORC|RE||ORD-{token}^LIMS|B-{token}\rOBR|1||ORD-{token}^LIMS|VIAB\r"
            "OBX|1|NM|VIAB^Viability^L||91|%|>=70|N|||F|||20261122100000+0000||qc.rpatel\r").encode()


def _order(token: str) -> Envelope[Any]:
    return Envelope.wrap(PlaceTestOrder(placer_order_id=f"PO-{token}", sample_id=f"S-{token}",
                                        sample_type="final_product", batch_id=f"B-{token}", tests=("VIABILITY",)),
                         source="/contract", actor="service:contract", sourcesystem="gxplink")


class LimsSimulatorHarness(AdapterHarness):
    system, kind = "lims", "simulator"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.sims = SimulatorSet(tmp_path / "sims", ("lims",))
        endpoints = await self.sims.start()
        self.sim = self.sims.simulators["lims"]
        await self.sim.actions()["configure"]({"result_delay_seconds": 0.1, "retry_backoff_seconds": 0.2})
        self.adapter = LimsHl7Adapter(ports("lims"), LimsAdapterConfig(
            lims_url=endpoints["sim"]["lims"], ack_timeout_seconds=2, audit_poll_seconds=0.5))
        return self.adapter

    async def close(self) -> None:
        await self.sims.stop()

    async def emit(self, token: str) -> None:
        await self.sim.actions()["set_receiver"]({"url": self.adapter.endpoints()["lims_mllp"]})
        await self.sim.actions()["create_order"]({"batch_id": f"B-{token}", "sample_id": f"S-{token}",
                                                  "tests": ["VIAB"]})

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return event.get("correlationid") == f"B-{token}" and event["type"].endswith("test_result_recorded.v1")

    def command(self, token: str) -> Envelope[Any]:
        return _order(token)

    async def executed(self, token: str) -> int:
        orders = (await self.sim.actions()["orders"]({"batch_id": f"B-{token}"}))["orders"]
        return len([o for o in orders if o.get("placer_order") == f"PO-{token}"])

    async def set_down(self, down: bool) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(down=down))

    async def poison(self, adapter: Adapter, token: str) -> None:
        from .mllp import send_frame

        await send_frame(adapter.endpoints()["lims_mllp"], f"POISON-{token}|NOT|HL7\r".encode())


class LimsFakeHarness(AdapterHarness):
    system, kind = "lims", "fake"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.fake = FakeLimsSender()
        self.adapter = LimsHl7Adapter(ports("lims"), LimsAdapterConfig(audit_poll_seconds=60), sender=self.fake)
        return self.adapter

    async def close(self) -> None:
        return None

    async def emit(self, token: str) -> None:
        await self.adapter.listener.handler(_oru(token), "fake://lims")

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return event.get("correlationid") == f"B-{token}"

    def command(self, token: str) -> Envelope[Any]:
        return _order(token)

    async def executed(self, token: str) -> int:
        return sum(1 for m in self.fake.received if f"PO-{token}".encode() in m)

    async def set_down(self, down: bool) -> None:
        self.fake.down = down

    async def poison(self, adapter: Adapter, token: str) -> None:
        await self.adapter.listener.handler(f"POISON-{token}|NOT|HL7\r".encode(), "fake://lims")
