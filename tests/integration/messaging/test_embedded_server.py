"""The embedded nats-server: starts, keeps acknowledged data across a crash, restarts, leaves nothing."""

import asyncio
import os
import signal
from pathlib import Path

import pytest

from messaging.connection import connect
from messaging.embedded import EmbeddedNats, running_server_url
from messaging.streams import EVENTS, ensure_streams

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


async def test_crash_is_survived_with_acknowledged_data_and_the_same_url(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path)
    url = server.start()
    supervisor = asyncio.create_task(server.supervise(check_every=0.1))
    try:
        assert running_server_url(tmp_path) == url
        nc = await connect(url, "crash-test")
        js = nc.jetstream()
        await ensure_streams(js)
        ack = await js.publish("gxp.evt.deltav.crash_probe", b"{}", headers={"Nats-Msg-Id": "crash-1"})
        first_pid = server.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)

        for _ in range(100):  # the supervisor restarts it on the same port; the client reconnects
            await asyncio.sleep(0.1)
            if server.pid != first_pid and server.alive() and nc.is_connected:
                break
        assert server.url == url and server.restarts == 1
        msg = await js.get_msg(EVENTS.name, seq=ack.seq)
        assert msg.headers and msg.headers["Nats-Msg-Id"] == "crash-1"
        await nc.close()
    finally:
        server.halt_supervision()
        supervisor.cancel()
        pid = server.pid
        server.stop()
    assert pid is not None and not _alive(pid)
    assert running_server_url(tmp_path) is None


def test_a_broken_config_fails_fast_with_the_servers_own_words(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path, extra_config="jetstream_bogus_key { oops")
    with pytest.raises(Exception, match=r"nats-server exited|not ready"):
        server.start()
    assert not server.alive()
