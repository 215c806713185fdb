"""DeltaV harnesses: the bundled DeltaV simulator over OPC UA (SignAndEncrypt, service account), and the fake.

emit starts a batch phase (BatchPhaseChanged correlated by the batch); the command is a set point
write whose value derives from the token (old commands of other tests replayed to a fresh system
write other values, so counting this value counts this command); poison goes through the running
adapter's replay responder, as `gxplink dlq replay` does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.base import Adapter, AdapterPorts
from adapters.deltav.adapter import DeltaVOpcUaAdapter
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.fake import FakeDeltaV
from canonical_model.base import Quantity
from canonical_model.commands.deltav import ChangeSetpoint
from canonical_model.envelope import Envelope
from canonical_model.subjects import replay_subject
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet

from .harness import AdapterHarness

FAST = {"publishing_interval_ms": 100, "sampling_interval_ms": 100, "watchdog_seconds": 0.2,
        "reconnect_initial_seconds": 0.1, "reconnect_max_seconds": 1.0, "audit_poll_seconds": 0.5,
        "command_wait_seconds": 2.0, "request_timeout_seconds": 3.0}


def fast_config(url: str, auth: dict[str, Any] | None, pki: Path, **extra: Any) -> DeltaVAdapterConfig:
    login = {"username": auth["username"], "password": auth["password"]} if auth else \
        {"security_policy": "None", "security_mode": "None"}
    return DeltaVAdapterConfig(url=url, pki_dir=pki, **login, **{**FAST, **extra})


def token_value(token: str, low: float, high: float) -> float:
    """A set point within [low, high] that only this token writes (0.0001 steps)."""
    steps = int((high - low) * 10_000)
    return round(low + int(hashlib.sha256(token.encode()).hexdigest()[:12], 16) % steps / 10_000, 4)


def setpoint(token: str, tag: str, unit: str, value: float) -> Envelope[Any]:
    return Envelope.wrap(ChangeSetpoint(tag=tag, equipment_id=tag.split("/")[0], set_point=Quantity(value=value,
                                        unit=unit), reason=f"contract {token}"),
                         source="/contract", actor="service:contract", sourcesystem="gxplink")


def poison_record(token: str) -> bytes:
    """A PV record whose value is NaN: the mapping refuses it into the dead letters."""
    path = f"DeltaV/CAM-CP/CP-1/POISON-{token}/TIC-1/PV"
    return json.dumps({"node": path, "nodes": {path: {"NodeId": f"ns=2;s=POISON-{token}/TIC-1/PV", "Value": "NaN",
                                                      "StatusCode": "Good",
                                                      "SourceTimestamp": "2026-11-22T21:36:33.674943+00:00"}}}).encode()


async def replay_poison(adapter: Adapter, token: str) -> None:
    await adapter.ports.nc.request(replay_subject("deltav"), poison_record(token), timeout=10)


class DeltaVSimulatorHarness(AdapterHarness):
    system, kind = "deltav", "simulator"
    unit, sp_tag = "FF-101", "CRF-101/TI-301/SP"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.sims = SimulatorSet(tmp_path / "sims", ("deltav",))
        endpoints = await self.sims.start()
        self.sim = self.sims.simulators["deltav"]
        config = fast_config(endpoints["sim"]["deltav"], endpoints["sim"]["deltav_auth"], tmp_path / "pki")
        return DeltaVOpcUaAdapter(ports("deltav"), config)

    async def close(self) -> None:
        await self.sims.stop()

    async def emit(self, token: str) -> None:
        actions = self.sim.actions()
        state = (await actions["state"]({"unit": self.unit}))["state"]
        if state == "RUNNING":
            await actions["complete_phase"]({"unit": self.unit})  # start_batch resets a finished phase
        await actions["start_batch"]({"unit": self.unit, "batch_id": f"B-{token}"})

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return event.get("correlationid") == f"B-{token}" and event["type"].endswith("batch_phase_changed.v1")

    def command(self, token: str) -> Envelope[Any]:
        return setpoint(token, self.sp_tag, "Cel", token_value(token, -100.0, 25.0))

    async def executed(self, token: str) -> int:
        value = token_value(token, -100.0, 25.0)
        return sum(1 for e in self.sim.ctx.audit.entries if e.record_id == self.sp_tag and e.new == value)

    async def set_down(self, down: bool) -> None:
        await self.sim.ctx.faults.apply(FaultConfig(down=down))

    async def poison(self, adapter: Adapter, token: str) -> None:
        await replay_poison(adapter, token)


class DeltaVFakeHarness(AdapterHarness):
    system, kind = "deltav", "fake"

    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        self.fake = FakeDeltaV()
        config = fast_config(self.fake.url, None, tmp_path / "pki")
        return DeltaVOpcUaAdapter(ports("deltav"), config, connector=self.fake)

    async def close(self) -> None:
        return None

    async def emit(self, token: str) -> None:
        self.fake.phase["state"] = "IDLE"  # the batch executive resets the unit before the next batch
        self.fake.command("Start", "batch.executive", f"B-{token}")

    def produced(self, event: dict[str, Any], token: str) -> bool:
        return event.get("correlationid") == f"B-{token}"

    def command(self, token: str) -> Envelope[Any]:
        return setpoint(token, "BR-101/TIC-101/SP", "Cel", token_value(token, 36.5, 37.5))

    async def executed(self, token: str) -> int:
        return self.fake.writes.count(token_value(token, 36.5, 37.5))

    async def set_down(self, down: bool) -> None:
        await self.fake.set_down(down)

    async def poison(self, adapter: Adapter, token: str) -> None:
        await replay_poison(adapter, token)
