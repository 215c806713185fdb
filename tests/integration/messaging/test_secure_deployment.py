"""The deployed secure configuration: deploy/single-node/nats-server-secure.conf, as shipped, on a real server.

`gxplink secure init` writes the credentials and the authorization block the shipped config
includes; the server requires TLS from every client; gxplink processes connect as their own
component (`GXPLINK_NATS_URL=tls://…`, `GXPLINK_NATS_CA`), only the operator manages streams, and a
component is held to its subjects.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from gxplink.runtime import Runtime
from gxplink.security import adapter_identity
from gxplink.settings import Settings
from messaging.embedded import nats_server_binary
from messaging.streams import EVENTS
from messaging.tls import local_ca
from tests.support.cli import run

pytestmark = pytest.mark.integration
SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "single-node" / "nats-server-secure.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(url, data dir, CA): the shipped config with this machine's paths and free ports."""
    data = tmp_path / "var-lib-gxplink"
    init = run("secure", "init", "--data-dir", str(data), "--auth-file", str(tmp_path / "nats-auth.conf"))
    assert init.returncode == 0, init.stderr
    site = local_ca(tmp_path / "site-tls")  # stands in for the site's own certificate
    port = free_port()
    config = (SHIPPED.read_text().replace("/var/lib/gxplink", str(data))
              .replace("/etc/gxplink/tls/nats-server.pem", str(site.cert))
              .replace("/etc/gxplink/tls/nats-server-key.pem", str(site.key))
              .replace("0.0.0.0:4222", f"127.0.0.1:{port}").replace("127.0.0.1:8222", f"127.0.0.1:{free_port()}"))
    conf, log = tmp_path / "nats-server.conf", tmp_path / "nats-server.log"
    conf.write_text(config)
    server = subprocess.Popen([str(nats_server_binary()), "-c", str(conf), "-l", str(log)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if log.exists() and "Server is ready" in log.read_text():
                break
            assert server.poll() is None, log.read_text() if log.exists() else "nats-server exited"
            time.sleep(0.05)
        yield f"tls://127.0.0.1:{port}", data, site.ca
    finally:
        server.terminate()
        server.wait(10)


async def test_components_connect_as_themselves_over_required_tls(deployed: tuple[str, Path, Path],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    url, data, ca = deployed
    settings = Settings(data_dir=data, nats_url=url, nats_ca=ca, secure=True)
    async with Runtime(settings, name="deploy-admin") as admin:  # the operator creates the streams
        assert (await admin.js.stream_info(EVENTS.name)).config.name == EVENTS.name

    async with Runtime(settings, name="deploy-lims", own_server=False, identity=adapter_identity("lims")) as lims:
        ack = await lims.js.publish("gxp.evt.lims.deploy_probe", b"{}", headers={"Nats-Msg-Id": "deploy-1"})
        assert ack.stream == EVENTS.name
        with caplog.at_level(logging.WARNING, logger="messaging.connection"):
            await lims.nc.publish("gxp.evt.mes.forged", b"{}")
            await lims.nc.flush()
            for _ in range(40):
                if "forged" in caplog.text:
                    break
                await asyncio.sleep(0.05)
    # denied by the server, reported by the component's connection
    assert re.search(r"deploy-lims: NATS error: .*permissions violation for publish to \"gxp\.evt\.mes\.forged\"",
                     caplog.text, re.I), caplog.text

    with pytest.raises(Exception):  # noqa: B017 - plain TCP to a TLS-only server: refused one way or another
        await nats.connect(url.replace("tls://", "nats://"), allow_reconnect=False, connect_timeout=3,
                           user="admin", password="not-even-checked")
