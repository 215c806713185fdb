"""The DeltaV adapter when the server goes away: the watchdog reconnects, the subscriptions come back, the gap
is backfilled with HistoryRead, nothing is published twice; and the two endpoints' logins."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.deltav.adapter import DeltaVOpcUaAdapter
from adapters.deltav.pki import KEY_FILE
from simulators.common.faults import FaultConfig
from simulators.common.runner import SimulatorSet

from ...contract.deltav_harness import fast_config
from .conftest import eventually
from .test_deltav_adapter import Stack, _ready, deltav, events, for_batch, fresh_command_consumer

pytestmark = pytest.mark.integration
__all__ = ["deltav"]  # the fixture
DO = "BR-101/AIC-103/PV"  # moves beyond the 0.5 % deadband several times a second


def now_iso() -> str:
    """In the form canonical times are stored in (UTC, Z), so that they compare as text."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


async def samples(nc: Client, since: str) -> list[dict[str, Any]]:
    return await events(nc, "gxp.evt.deltav.process_value_recorded",
                        lambda e: e["data"]["value"]["tag"] == DO and e["data"]["value"]["source_time"] > since)


def no_duplicates(found: list[dict[str, Any]]) -> None:
    keys = [(e["data"]["value"]["tag"], e["data"]["value"]["source_time"]) for e in found if "value" in e["data"]]
    assert len({e["id"] for e in found}) == len(found) and len(set(keys)) == len(keys)


async def test_down_and_up_reconnects_and_backfills_the_gap_from_history(deltav: Stack, nc: Client,
                                                                        token: str) -> None:
    adapter, faults = deltav.adapter, deltav.sim.ctx.faults
    await eventually(lambda: _ready(deltav))
    start = now_iso()
    assert await eventually(lambda: samples(nc, start))
    await faults.apply(FaultConfig(down=True))  # the OPC UA server stops; the controllers scan on
    went_down = (await samples(nc, start))[-1]["data"]["value"]["source_time"]
    await deltav.sim.actions()["start_batch"]({"unit": "SEL-101", "batch_id": f"GAP-{token}"})
    await deltav.sim.actions()["inject_excursion"]({"unit": "BR-101", "value": "Temperature", "to": 40, "seconds": 1})
    await eventually(lambda: _not_ready(deltav), timeout=5)
    assert (await adapter.health()).status != "up"
    await asyncio.sleep(2)  # four scans while nobody listens
    back = now_iso()
    await faults.apply(FaultConfig(down=False))
    await eventually(lambda: _ready(deltav), timeout=10)
    assert adapter.ports.metrics.reconnects._value.get() >= 1
    assert await eventually(lambda: _backfilled(adapter), timeout=10)
    came_up = await eventually(lambda: samples(nc, went_down))
    gap = [e for e in came_up if e["data"]["value"]["source_time"] > went_down]
    assert gap, "nothing published for the time the server was down"
    hot = await events(nc, "gxp.evt.deltav.process_value_recorded", lambda e: e["data"]["value"]["tag"] ==
                       "BR-101/TIC-101/PV" and e["data"]["value"]["value"] > 38 and
                       went_down < e["data"]["value"]["source_time"] < back)
    assert hot, "the excursion while nobody listened was not backfilled from history"
    (read,) = await eventually(lambda: events(nc, "gxp.evt.deltav.batch_phase_changed", for_batch(f"GAP-{token}")))
    assert read["mapping"] == "deltav/phase_read@1" and read["data"]["phase"]["state"] == "running"
    no_duplicates(await samples(nc, start))


async def test_a_full_restart_of_the_simulator_and_of_the_adapter_loses_and_doubles_nothing(
        tmp_path: Path, ports_for: Callable[[str], AdapterPorts], nc: Client, token: str) -> None:
    sims = SimulatorSet(tmp_path / "sims", ("deltav",))
    endpoints = await sims.start()
    url, auth = endpoints["sim"]["deltav"], endpoints["sim"]["deltav_auth"]
    await fresh_command_consumer(nc)
    adapter = DeltaVOpcUaAdapter(ports_for("deltav"), fast_config(url, auth, tmp_path / "pki"))
    await adapter.start()
    try:
        await sims.simulators["deltav"].actions()["start_batch"]({"unit": "CW-101", "batch_id": f"R-{token}"})
        start = now_iso()
        assert await eventually(lambda: samples(nc, start))
        await sims.stop()  # the whole DCS OPC UA server goes away; its state stays on disk
        sims = SimulatorSet(tmp_path / "sims", ("deltav",), ports={"deltav": port_of(url)})
        await sims.start()
        await eventually(lambda: _subscribed_again(adapter), timeout=15)
        restarted = now_iso()
        assert await eventually(lambda: samples(nc, restarted))
        await adapter.stop()  # and the adapter too: it resumes from its persisted watermarks and cursor
        await sims.simulators["deltav"].actions()["hold"]({"unit": "CW-101", "reason": f"while away {token}"})
        stopped = now_iso()
        await adapter.start()
        assert await eventually(lambda: samples(nc, stopped))
        held = await eventually(lambda: _held(nc, f"R-{token}"))
        assert held
        audit = await eventually(lambda: events(nc, "gxp.audit.deltav", lambda e: e["data"]["record"].get("reason")
                                                == f"while away {token}", stream="GXP_AUDIT"))
    finally:
        await adapter.stop()
        await sims.stop()
    mine = await events(nc, "gxp.evt.deltav.>", for_batch(f"R-{token}"))
    no_duplicates(mine)
    assert len([e for e in mine if e["type"].endswith("batch_phase_changed.v1") and
                e["data"]["phase"]["state"] == "running"]) == 1
    audit = await events(nc, "gxp.audit.deltav", lambda e: e["data"]["record"].get("reason") == f"while away {token}",
                         stream="GXP_AUDIT")  # read again after the restarts: relayed once
    assert len(audit) >= 2 and len({e["id"] for e in audit}) == len(audit)  # the hold's entries, each once


async def test_a_wrong_password_is_refused_and_anonymous_uses_the_unsecured_endpoint(
        tmp_path: Path, ports_for: Callable[[str], AdapterPorts], nc: Client,
        caplog: pytest.LogCaptureFixture) -> None:
    sims = SimulatorSet(tmp_path / "sims", ("deltav",))
    endpoints = await sims.start()
    url, auth = endpoints["sim"]["deltav"], endpoints["sim"]["deltav_auth"]
    wrong = {**auth, "password": "not-the-password"}
    caplog.set_level(logging.DEBUG)
    refused = DeltaVOpcUaAdapter(ports_for("deltav"), fast_config(url, wrong, tmp_path / "pki",
                                                                  health_grace_seconds=0))
    anonymous = DeltaVOpcUaAdapter(ports_for("deltav"), fast_config(url, None, tmp_path / "anon"))
    try:
        await refused.start()
        await anonymous.start()
        assert await eventually(lambda: _login_failed(sims, auth["username"]))
        assert (await refused.health()).checks["subscriptions"].startswith("reconnecting: BadUserAccessDenied")
        assert await eventually(lambda: _anonymous_ready(anonymous))
    finally:
        await refused.stop()
        await anonymous.stop()
        await sims.stop()
    key = tmp_path / "pki" / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not list((tmp_path / "anon").glob("*")), "no certificate is needed on the unsecured endpoint"
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("asyncua.server"))
    assert ours and "not-the-password" not in ours and auth["password"] not in ours  # (the server may log them)


async def _not_ready(stack: Stack) -> bool:
    return not stack.adapter.supervisor.ready.is_set()


async def _backfilled(adapter: DeltaVOpcUaAdapter) -> bool:
    return bool(adapter.telemetry.backfilled._value.get() > 0)


async def _subscribed_again(adapter: DeltaVOpcUaAdapter) -> bool:
    return adapter.supervisor.ready.is_set() and adapter.ports.metrics.reconnects._value.get() >= 1


async def _held(nc: Client, batch: str) -> list[dict[str, Any]]:
    return await events(nc, "gxp.evt.deltav.batch_phase_changed",
                        lambda e: for_batch(batch)(e) and e["data"]["phase"]["state"] in ("holding", "held"))


async def _login_failed(sims: SimulatorSet, user: str) -> bool:
    return any(e.action == "login_failed" and e.user == user for e in sims.simulators["deltav"].ctx.audit.entries)


async def _anonymous_ready(adapter: DeltaVOpcUaAdapter) -> bool:
    return adapter.supervisor.ready.is_set()
