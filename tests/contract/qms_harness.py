"""QMS harnesses: the bundled QMS simulator over SOAP 1.1 (zeep, async), and the in-memory fake.

A record about `token` is a deviation a QA person opens in the QMS, titled `QA deviation <token>`; the
command is an OpenDeviation titled `Command deviation <token>` (executed = deviations with that title);
poison is a deviation without description, which the QMS allows and the canonical model does not, so
mapping qms/deviation_opened refuses it and the change is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from adapters.base import Adapter, AdapterPorts
from adapters.qms.adapter import QmsSoapAdapter
from adapters.qms.config import QmsAdapterConfig
from adapters.qms.fake import FakeQmsClient
from canonical_model.commands.qms import OpenDeviation
from canonical_model.envelope import Envelope
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet
from simulators.qms.server import QmsSimulator

from .harness import AdapterHarness


def _open(token: str) -> Envelope[Any]:
    return Envelope.wrap(OpenDeviation(title=f"Command deviation {token}", description="Opened by the contract suite",
                                       classification="minor", initiator="service:contract", equipment_id="BR-101"),
                         source="/contract", actor="service:contract", sourcesystem="gxplink")


def _opened(event: dict[str, Any], token: str) -> bool:
    return bool(event["type"].endswith("qms.deviation_opened.v1")
                and event["data"]["deviation"]["title"] == f"QA deviation {token}")


class QmsSimulatorHarness(AdapterHarness):
    system, kind = "qms", "simulator"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.sims = SimulatorSet(tmp_path / "sims", ("qms",))
        sim = (await self.sims.start())["sim"]
        self.sim = cast(QmsSimulator, self.sims.simulators["qms"])
        # after the records migrated at go-live: the suite is about what happens from now on
        self.adapter = QmsSoapAdapter(ports("qms"), QmsAdapterConfig(
            wsdl_url=sim["qms"], username=sim["qms_auth"]["username"], password=sim["qms_auth"]["password"],
            poll_interval_seconds=0.2, audit_poll_seconds=0.5, request_timeout_seconds=3,
            initial_change_cursor=self.sim.store.cursor, initial_audit_cursor=len(self.sim.ctx.audit.entries)))
        return self.adapter

    async def close(self) -> None:
        await self.sims.stop()

    async def emit(self, token: str) -> None:
        await self.sim.actions()["open_deviation"]({"title": f"QA deviation {token}", "classification": "minor"})

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _opened(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _open(token)

    async def executed(self, token: str) -> int:
        return sum(d["title"] == f"Command deviation {token}" for d in self.sim.store.all("deviation"))

    async def set_down(self, down: bool) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(down=down))

    async def poison(self, adapter: Adapter, token: str) -> None:
        self.sim.store.create("deviation", {"title": f"QA deviation {token}", "classification": "minor"}, "qa.mlee")


class QmsFakeHarness(AdapterHarness):
    system, kind = "qms", "fake"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.fake = FakeQmsClient()
        self.adapter = QmsSoapAdapter(ports("qms"), QmsAdapterConfig(poll_interval_seconds=0.1,
                                                                     audit_poll_seconds=0.2), client=self.fake)
        return self.adapter

    async def close(self) -> None:
        return None

    async def emit(self, token: str) -> None:
        self.fake.create("deviation", {"title": f"QA deviation {token}", "description": "Found in review",
                                       "classification": "minor"}, "qa.mlee")

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return _opened(event, token)

    def command(self, token: str) -> Envelope[Any]:
        return _open(token)

    async def executed(self, token: str) -> int:
        return sum(d["title"] == f"Command deviation {token}" for d in self.fake.records["deviation"].values())

    async def set_down(self, down: bool) -> None:
        self.fake.down = down

    async def poison(self, adapter: Adapter, token: str) -> None:
        self.fake.create("deviation", {"title": f"QA deviation {token}", "classification": "minor"}, "qa.mlee")
