"""MES harnesses: the bundled MES simulator over REST, and the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from adapters.base import Adapter, AdapterPorts
from adapters.mes.adapter import MesRestAdapter
from adapters.mes.config import MesAdapterConfig
from adapters.mes.fake import FakeMesClient
from canonical_model.commands.mes import AttachExternalReference
from canonical_model.envelope import Envelope
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet
from simulators.mes.server import MesSimulator

from .harness import AdapterHarness

HISTORICAL_BATCH = "CART-2025-0001"  # the completed batch the MES simulator starts with


def _attach(batch_id: str, token: str) -> Envelope[Any]:
    return Envelope.wrap(AttachExternalReference(batch_id=batch_id, system="qms", reference_type="deviation",
                                                 reference_id=f"DEV-{token}"),
                         source="/contract", actor="service:contract", sourcesystem="gxplink")


def _created(event: dict[str, Any], token: str) -> bool:
    return event.get("correlationid") == f"B-{token}" and event["type"].endswith("batch_created.v1")


def _poison(token: str) -> dict[str, Any]:
    """A feed record whose state the MES does not document: mapping mes/batch_state_changed refuses it."""
    return {"previous_state": "in_execution", "state": "teleported", "action": "beam", "reason": f"B-{token}"}


class MesSimulatorHarness(AdapterHarness):
    system, kind = "mes", "simulator"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.sims = SimulatorSet(tmp_path / "sims", ("mes",))
        sim = (await self.sims.start())["sim"]
        self.sim = cast(MesSimulator, self.sims.simulators["mes"])
        # Start after the seeded history: it is the same in every simulator (same seed, same past clock), so
        # its event ids repeat across tests and, beyond JetStream's duplicate window, would be stored again.
        self.adapter = MesRestAdapter(ports("mes"), MesAdapterConfig(
            url=sim["mes"], username=sim["mes_auth"]["username"], password=sim["mes_auth"]["password"],
            poll_interval_seconds=0.2, audit_poll_seconds=0.5, request_timeout_seconds=3,
            initial_feed_cursor=self.sim.store.feed.last_seq, initial_audit_cursor=len(self.sim.store.audit.entries)))
        return self.adapter

    async def close(self) -> None:
        await self.sims.stop()

    async def emit(self, token: str) -> None:
        await self.sim.actions()["create_batch"]({"batch_id": f"B-{token}"})

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _created(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _attach(HISTORICAL_BATCH, token)

    async def executed(self, token: str) -> int:
        batch = await self.sim.actions()["batch"]({"batch_id": HISTORICAL_BATCH})
        return int(batch["external_references"].count(f"QMS:deviation:DEV-{token}"))

    async def set_down(self, down: bool) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(down=down))

    async def poison(self, adapter: Adapter, token: str) -> None:
        # straight into the MES's feed: no API writes such a record, the adapter reads it like any other
        self.sim.store.feed.append("batch_state_changed", datetime.now(UTC), "sup.kchen", f"B-{token}", "batch",
                                   f"B-{token}", _poison(token))


class MesFakeHarness(AdapterHarness):
    system, kind = "mes", "fake"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.fake = FakeMesClient()
        self.fake.create_batch(HISTORICAL_BATCH)
        self.adapter = MesRestAdapter(ports("mes"), MesAdapterConfig(poll_interval_seconds=0.1,
                                                                     audit_poll_seconds=0.2), client=self.fake)
        return self.adapter

    async def close(self) -> None:
        return None

    async def emit(self, token: str) -> None:
        self.fake.create_batch(f"B-{token}")

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _created(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _attach(HISTORICAL_BATCH, token)

    async def executed(self, token: str) -> int:
        return sum(1 for op, _, body in self.fake.calls if op == "reference" and body["reference"] == f"DEV-{token}")

    async def set_down(self, down: bool) -> None:
        self.fake.down = down

    async def poison(self, adapter: Adapter, token: str) -> None:
        self.fake.append("batch_state_changed", f"B-{token}", "batch", f"B-{token}", "sup.kchen", _poison(token))
