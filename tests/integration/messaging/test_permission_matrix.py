"""`--secure` on a real nats-server: every component pair, denied by the server and reported.

For each ordered pair (A, B) of component identities, A tries to publish on a subject only B may
publish on and to subscribe to a subject only B may read. The server must answer both with a
permissions violation (which reaches A's error callback, where gxplink logs it), and an operator
listening on the subject must receive nothing. Each identity can still do its own work: publish
its events into JetStream over TLS and create its own consumer, but not one with another filter.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from nats.js.errors import APIError

from adapters.framework.commands import command_consumer
from gxplink.security import ADMIN, AUDITOR, CONSOLE, SYSTEMS, SecureSetup, adapter_identity, grants
from messaging.auth import Grant
from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.streams import COMMANDS, ensure_streams
from messaging.tls import client_context

pytestmark = pytest.mark.integration

IDENTITIES = [name for name, grant in grants().items() if grant is not None]


def concrete(pattern: str) -> str:
    """A subject a wildcard pattern covers (`*` -> one token, `>` -> two)."""
    return ".".join({"*": "probe", ">": "probe.x"}.get(t, t) for t in pattern.split("."))


def only_b_publishes(a: Grant, b: Grant) -> str | None:
    return next((s for s in map(concrete, b.publish) if not a.may_publish(s)), None)


def only_b_reads(a: Grant, b: Grant) -> str | None:
    return next((s for s in map(concrete, b.subscribe) if not a.may_subscribe(s)), None)


@dataclass
class Client_:
    nc: Client
    errors: list[str] = field(default_factory=list)

    async def denied(self, action: object) -> str | None:
        """The violation the server reported for `action`, or None."""
        before = len(self.errors)
        await action  # type: ignore[misc]
        await self.nc.flush(timeout=5)
        for _ in range(50):
            found = [e for e in self.errors[before:] if "permissions violation" in e.lower()]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        return None


@dataclass
class SecureServer:
    url: str
    setup: SecureSetup
    tls: ssl.SSLContext

    async def as_(self, identity: str) -> Client_:
        client = Client_(None)  # type: ignore[arg-type]

        async def on_error(exc: Exception) -> None:
            client.errors.append(str(exc))

        client.nc = await connect(self.url, f"matrix-{identity}", identity=self.setup.identity(identity), tls=self.tls,
                                  error_cb=on_error, allow_reconnect=False)
        return client


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    data = tmp_path_factory.mktemp("secure")
    setup = SecureSetup.under(data)
    server = EmbeddedNats(data, extra_config=setup.prepare())
    url = server.start()
    tls = client_context(setup.tls.ca)

    async def streams() -> None:  # only the operator creates them
        admin = await connect(url, "matrix-admin", identity=setup.identity(ADMIN), tls=tls)
        await ensure_streams(admin.jetstream())
        await admin.close()

    try:
        asyncio.run(streams())
        yield SecureServer(url, setup, tls)
    finally:
        server.stop()


async def test_every_credential_file_is_private_and_the_server_holds_only_hashes(secure: SecureServer) -> None:
    files = sorted(secure.setup.creds_dir.glob("*.json"))
    assert {f.stem for f in files} == set(grants())
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert secure.setup.tls.key.stat().st_mode & 0o777 == 0o600
    config = (secure.setup.creds_dir.parent / "nats" / "nats-server.conf").read_text()
    for f in files:
        assert json.loads(f.read_text())["password"] not in config


async def test_no_credentials_or_a_wrong_password_is_refused(secure: SecureServer) -> None:
    with pytest.raises(Exception, match="Authorization Violation"):
        await nats.connect(secure.url, allow_reconnect=False, connect_timeout=3, tls=secure.tls,
                           tls_handshake_first=True)
    with pytest.raises(Exception, match="Authorization Violation"):
        await nats.connect(secure.url, user=adapter_identity("lims"), password="guess", allow_reconnect=False,
                           connect_timeout=3, tls=secure.tls, tls_handshake_first=True)


@pytest.mark.requirement("URS-007")
async def test_every_pair_is_denied_by_the_server_and_reported(secure: SecureServer) -> None:
    table = grants()
    admin = await secure.as_(ADMIN)
    clients = {name: await secure.as_(name) for name in IDENTITIES}
    leaked: list[str] = []

    async def record(msg: Msg) -> None:
        leaked.append(msg.subject)

    exercised = {"publish": 0, "subscribe": 0}
    nothing_only_b_publishes = set()
    try:
        for a, b in itertools.permutations(IDENTITIES, 2):
            ga, gb = table[a], table[b]
            assert ga is not None and gb is not None
            subject = only_b_publishes(ga, gb)
            if subject is not None:
                sink = await admin.nc.subscribe(subject, cb=record)
                await admin.nc.flush()
                violation = await clients[a].denied(clients[a].nc.publish(subject, b"{}"))
                assert violation and subject.lower() in violation.lower(), f"{a} published on {b}'s {subject}"
                await sink.unsubscribe()
                exercised["publish"] += 1
            else:
                nothing_only_b_publishes.add((a, b))
            subject = only_b_reads(ga, gb)
            if subject is not None:
                violation = await clients[a].denied(clients[a].nc.subscribe(subject))
                assert violation and subject.lower() in violation.lower(), f"{a} subscribed to {b}'s {subject}"
                exercised["subscribe"] += 1
        assert not leaked, f"denied publishes were delivered: {leaked}"
        pairs = len(IDENTITIES) * (len(IDENTITIES) - 1)
        # every pair has something only B may do, but for one: the auditor publishes nothing beyond the
        # read-only JetStream API requests, which the console (reading dead letters) makes too
        assert nothing_only_b_publishes == {(CONSOLE, AUDITOR)}
        assert exercised == {"publish": pairs - 1, "subscribe": pairs}
    finally:
        for client in [admin, *clients.values()]:
            await client.nc.close()


async def test_an_adapter_may_publish_its_events_and_read_only_its_own_commands(secure: SecureServer) -> None:
    lims = await secure.as_(adapter_identity("lims"))
    try:
        js = lims.nc.jetstream()
        ack = await js.publish("gxp.evt.lims.permission_probe", b"{}", headers={"Nats-Msg-Id": "perm-probe-1"})
        assert ack.stream == "GXP_EVENTS"
        spec = command_consumer("lims")
        sub = await js.pull_subscribe(spec.filter_subject, durable=spec.durable, stream=spec.stream,
                                      config=spec.config())
        await sub.unsubscribe()
        theirs = command_consumer("erp")
        with pytest.raises((APIError, nats.errors.TimeoutError)):  # the server never answers a denied request
            await js.add_consumer(COMMANDS.name, ConsumerConfig(name=theirs.durable, durable_name=theirs.durable,
                                                                filter_subject=theirs.filter_subject), timeout=1)
        assert any("permissions violation" in e.lower() for e in lims.errors)
    finally:
        await lims.nc.close()


@pytest.mark.requirement("URS-007")
async def test_the_auditor_reads_but_cannot_write_or_create_consumers(secure: SecureServer) -> None:
    auditor = await secure.as_(AUDITOR)
    try:
        js = auditor.nc.jetstream()
        info = await js.stream_info(COMMANDS.name)
        assert info.config.name == COMMANDS.name
        for system in SYSTEMS:
            assert await auditor.denied(auditor.nc.publish(f"gxp.evt.{system}.forged", b"{}"))
        with pytest.raises((APIError, nats.errors.TimeoutError)):
            await js.add_consumer(COMMANDS.name, ConsumerConfig(durable_name="auditor_copy"), timeout=1)
        with pytest.raises((APIError, nats.errors.TimeoutError)):
            await js.purge_stream(COMMANDS.name)
    finally:
        await auditor.nc.close()


@pytest.mark.requirement("URS-007")
def test_the_matrix_covers_every_component(tmp_path: Path) -> None:
    assert set(IDENTITIES) >= {adapter_identity(s) for s in SYSTEMS} | {"audit-writer", "orchestrator", AUDITOR}
