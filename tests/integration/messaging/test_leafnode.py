"""deploy/leafnode/, as shipped: a sponsor hub and a CDMO leaf node on real nats-servers.

Only the transfer subject trees cross the link: the sponsor's `gxp.transfer.sponsor.>` reaches
the CDMO, the CDMO's `gxp.transfer.cdmo.>` reaches the sponsor, and nothing else of either
deployment (events, commands, audit entries, or transfer subjects in the wrong direction) does.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from messaging.embedded import nats_server_binary
from tests.integration.messaging.test_secure_deployment import free_port

pytestmark = pytest.mark.integration
SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "leafnode"


def serve(name: str, config: str, tmp: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    conf, log = tmp / f"{name}.conf", tmp / f"{name}.log"
    conf.write_text(config)
    server = subprocess.Popen([str(nats_server_binary()), "-c", str(conf), "-l", str(log)],
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if log.exists() and "Server is ready" in log.read_text():
            return server
        assert server.poll() is None, log.read_text() if log.exists() else f"{name} exited"
        time.sleep(0.05)
    raise AssertionError(f"{name} not ready")


@pytest.fixture
def link(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    hub_port, leaf_port, cdmo_port = free_port(), free_port(), free_port()
    passwords = {name: "p" + secrets.token_hex(16) for name in ("SPONSOR_PASSWORD", "CDMO_PASSWORD",
                                                               "CDMO_LEAF_PASSWORD")}
    env = {**passwords, "SPONSOR_HUB_URL": f"nats-leaf://cdmo:{passwords['CDMO_LEAF_PASSWORD']}@127.0.0.1:{leaf_port}"}
    hub = serve("sponsor", (SHIPPED / "sponsor-hub.conf").read_text().replace("port: 4222", f"port: {hub_port}")
                .replace("port: 7422", f"port: {leaf_port}").replace("/var/lib/gxplink", str(tmp_path / "sponsor")),
                tmp_path, env)
    leaf = serve("cdmo", (SHIPPED / "cdmo-leaf.conf").read_text().replace("port: 4222", f"port: {cdmo_port}")
                 .replace("/var/lib/gxplink", str(tmp_path / "cdmo")), tmp_path, env)
    try:
        for _ in range(200):  # the leaf connects in the background
            if "Leafnode connection created" in (tmp_path / "cdmo.log").read_text():
                break
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{hub_port}", f"nats://127.0.0.1:{cdmo_port}", passwords
    finally:
        for server in (leaf, hub):
            server.terminate()
            server.wait(10)


async def test_only_the_transfer_subjects_cross_and_each_only_one_way(link: tuple[str, str, dict[str, str]]) -> None:
    hub_url, cdmo_url, passwords = link
    sponsor = await nats.connect(hub_url, user="gxplink", password=passwords["SPONSOR_PASSWORD"])
    cdmo = await nats.connect(cdmo_url, user="gxplink", password=passwords["CDMO_PASSWORD"])
    at_sponsor: list[str] = []
    at_cdmo: list[str] = []

    async def to_sponsor(msg: Msg) -> None:
        at_sponsor.append(msg.subject)

    async def to_cdmo(msg: Msg) -> None:
        at_cdmo.append(msg.subject)

    try:
        await sponsor.subscribe(">", cb=to_sponsor)
        await cdmo.subscribe(">", cb=to_cdmo)
        for _ in range(100):  # interest crosses the link once both sides subscribed
            await sponsor.publish("gxp.transfer.sponsor.probe", b"{}")
            await sponsor.flush()
            await asyncio.sleep(0.05)
            if "gxp.transfer.sponsor.probe" in at_cdmo:
                break
        at_sponsor.clear()
        at_cdmo.clear()
        sponsor_own = ["gxp.transfer.sponsor.package", "gxp.evt.mes.batch_created", "gxp.cmd.erp.release_lot",
                       "gxp.audit.gxplink", "gxp.transfer.cdmo.forged_by_sponsor"]
        cdmo_own = ["gxp.transfer.cdmo.status", "gxp.evt.lims.test_result_recorded",
                    "gxp.transfer.sponsor.forged_by_cdmo"]
        for subject in sponsor_own:
            await sponsor.publish(subject, b"{}")
        for subject in cdmo_own:
            await cdmo.publish(subject, b"{}")
        await sponsor.flush()
        await cdmo.flush()
        await asyncio.sleep(1.0)
        crossed_to_cdmo = [s for s in at_cdmo if s.startswith("gxp.") and s not in cdmo_own]
        crossed_to_sponsor = [s for s in at_sponsor if s.startswith("gxp.") and s not in sponsor_own]
        assert crossed_to_cdmo == ["gxp.transfer.sponsor.package"]
        assert crossed_to_sponsor == ["gxp.transfer.cdmo.status"]
    finally:
        await sponsor.close()
        await cdmo.close()
