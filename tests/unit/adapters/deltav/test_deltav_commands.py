"""Command handlers against the fake DeltaV: checks before acting, OPC UA refusals as permanent failures."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.deltav.commands import DeltaVCommands
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.errors import DeltaVPermanent
from adapters.deltav.fake import FakeDeltaV
from adapters.deltav.inbox import Inbox
from adapters.deltav.telemetry import DeltaVMetrics
from adapters.deltav.watchdog import Supervisor
from adapters.framework.commands import Handler
from adapters.framework.metrics import AdapterMetrics
from canonical_model.base import Quantity
from canonical_model.commands.deltav import (
    AbortBatchPhase,
    ChangeSetpoint,
    HoldBatchPhase,
    RestartBatchPhase,
    StartBatchPhase,
)
from canonical_model.envelope import Envelope
from mappings.engine.catalog import load_catalog
from messaging.errors import RetryableError

pytestmark = pytest.mark.unit


def envelope(data: Any) -> Envelope[Any]:
    return Envelope.wrap(data, source="/test", actor="service:test", sourcesystem="gxplink")


@pytest.fixture
async def setup() -> tuple[FakeDeltaV, Supervisor, dict[str, Handler]]:
    fake = FakeDeltaV()
    config = DeltaVAdapterConfig(url=fake.url, security_policy="None", security_mode="None")
    registry = CollectorRegistry()
    supervisor = Supervisor(fake, Inbox(10, DeltaVMetrics(registry).dropped), config,
                            AdapterMetrics("deltav", registry))
    await supervisor._connect()
    return fake, supervisor, DeltaVCommands(load_catalog(), supervisor, 0).handlers()


def sp(value: float, unit: str = "Cel", tag: str = "BR-101/TIC-101/SP") -> Envelope[Any]:
    return envelope(ChangeSetpoint(tag=tag, equipment_id="BR-101", set_point=Quantity(value=value, unit=unit),
                                   reason="per MBR"))


async def run(handlers: dict[str, Handler], command: Envelope[Any]) -> Any:
    return await handlers[command.type](command)


async def test_set_points_are_written_within_limits_in_their_own_unit(setup: Any) -> None:
    fake, _, handlers = setup
    outcome = await run(handlers, sp(37.2))
    assert fake.writes == [37.2] and "reason: per MBR" in (outcome.detail or "")
    with pytest.raises(DeltaVPermanent) as refused:
        await run(handlers, sp(45.0))
    assert refused.value.code == "BadOutOfRange"
    for command, code in ((sp(98.9, "[degF]"), "BadTypeMismatch"), (sp(37.0, tag="BR-101/XX-1/SP"),
                                                                      "BadNodeIdUnknown")):
        with pytest.raises(DeltaVPermanent) as wrong:
            await run(handlers, command)
        assert wrong.value.code == code
    assert fake.writes == [37.2]


async def test_phase_methods_follow_the_state_model_and_the_batch(setup: Any) -> None:
    fake, _, handlers = setup
    started = await run(handlers, envelope(StartBatchPhase(batch_id="B-1", unit_id="BR-101", phase="PH-0501")))
    assert started.references["state"] == "RUNNING" and fake.phase["batch_id"] == "B-1"
    with pytest.raises(DeltaVPermanent) as invalid:
        await run(handlers, envelope(RestartBatchPhase(batch_id="B-1", unit_id="BR-101", phase="PH-0501",
                                                       reason="go on")))
    assert invalid.value.code == "BadInvalidState"
    with pytest.raises(DeltaVPermanent) as other:
        await run(handlers, envelope(AbortBatchPhase(batch_id="B-2", unit_id="BR-101", phase="PH-0501", reason="x")))
    assert other.value.code == "BatchMismatch" and fake.phase["state"] == "RUNNING"
    hold = envelope(HoldBatchPhase(batch_id="B-1", unit_id="BR-101", phase="PH-0501", reason="leak check"))
    assert (await run(handlers, hold)).references["state"] == "HELD"
    again = await run(handlers, hold)  # the same command retried after a lost answer: it had acted
    assert "earlier attempt" in (again.detail or "")
    with pytest.raises(DeltaVPermanent, match="no phase parameters"):
        await run(handlers, envelope(StartBatchPhase(batch_id="B-3", unit_id="BR-101", phase="PH-0501",
                                                     parameters={"t": Quantity(value=37.0, unit="Cel")})))


async def test_without_a_session_a_command_is_retried_later(setup: Any) -> None:
    fake, supervisor, handlers = setup
    await fake.set_down(True)
    await supervisor._drop()
    with pytest.raises(RetryableError, match="no session"):
        await run(handlers, sp(37.1))
