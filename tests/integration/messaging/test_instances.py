"""A sponsor's and a CDMO's embedded servers, linked as `gxplink up --instance` links them: only the
transfer subjects cross, each only one way, and what crosses is kept in the receiver's JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.instances import instance_config, sponsor_link
from messaging.streams import TRANSFER, ensure_streams

pytestmark = pytest.mark.integration
NOT_TRANSFER = ("gxp.evt.mes.batch_created", "gxp.cmd.erp.release_lot", "gxp.audit.lims", "gxp.dlq.lims",
                "gxp.replay.lims", "_INBOX.probe.1", "gxp.transfer", "anything.else")


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[EmbeddedNats, EmbeddedNats]]:
    sponsor = EmbeddedNats(tmp_path / "sponsor", server_name="sponsor",
                           extra_config=instance_config("sponsor", tmp_path / "sponsor", None))
    sponsor.start()
    link_file = sponsor_link(tmp_path / "sponsor")[1]
    cdmo = EmbeddedNats(tmp_path / "cdmo", server_name="cdmo",
                        extra_config=instance_config("cdmo", tmp_path / "cdmo", link_file))
    cdmo.start()
    try:
        yield sponsor, cdmo
    finally:
        cdmo.stop()
        sponsor.stop()


async def _listen(nc: Client) -> list[str]:
    seen: list[str] = []

    async def got(msg: Msg) -> None:
        seen.append(msg.subject)

    await nc.subscribe(">", cb=got)
    await nc.flush()
    return seen


async def _wait_for_link(sponsor: Client, cdmo: Client, cdmo_seen: list[str]) -> None:
    for _ in range(200):  # the leaf connection and its interest propagate within a moment
        await sponsor.publish("gxp.transfer.sponsor.ping", b"")
        await asyncio.sleep(0.05)
        if "gxp.transfer.sponsor.ping" in cdmo_seen:
            return
    raise AssertionError("the leaf link never carried a transfer message")


async def _kept(nc: Client, subject: str) -> list[bytes]:
    from nats.js.errors import NotFoundError

    found, seq = [], 1
    while True:
        try:
            msg = await nc.jetstream().get_msg(TRANSFER.name, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return found
        found.append(msg.data or b"")
        seq = (msg.seq or seq) + 1


@pytest.mark.requirement("URS-009")
async def test_only_the_transfer_subjects_cross_each_one_way(linked: tuple[EmbeddedNats, EmbeddedNats]) -> None:
    sponsor_server, cdmo_server = linked
    sponsor, cdmo = await connect(sponsor_server.url, "sponsor"), await connect(cdmo_server.url, "cdmo")
    try:
        for client in (sponsor, cdmo):
            await ensure_streams(client.jetstream())
        at_sponsor, at_cdmo = await _listen(sponsor), await _listen(cdmo)
        await _wait_for_link(sponsor, cdmo, at_cdmo)
        at_sponsor.clear()
        at_cdmo.clear()

        for subject in (*NOT_TRANSFER, "gxp.transfer.cdmo.status"):  # the last: the wrong direction
            await sponsor.publish(subject, b"sponsor")
        for subject in (*NOT_TRANSFER, "gxp.transfer.sponsor.package"):
            await cdmo.publish(subject, b"cdmo")
        await sponsor.publish("gxp.transfer.sponsor.package", b"P")
        await cdmo.publish("gxp.transfer.cdmo.status", b"S")
        await asyncio.sleep(1.0)

        assert at_cdmo.count("gxp.transfer.sponsor.package") == 2  # its own publish and the sponsor's
        assert "gxp.transfer.cdmo.status" in at_cdmo and at_cdmo.count("gxp.transfer.cdmo.status") == 1
        assert at_sponsor.count("gxp.transfer.cdmo.status") == 2 and at_sponsor.count(
            "gxp.transfer.sponsor.package") == 1
        for subject in NOT_TRANSFER:
            assert at_cdmo.count(subject) == 1 and at_sponsor.count(subject) == 1, f"{subject} crossed"

        assert b"P" in await _kept(cdmo, "gxp.transfer.sponsor.package"), "the CDMO keeps the package it received"
        assert b"S" in await _kept(sponsor, "gxp.transfer.cdmo.status"), "the sponsor keeps the status it received"
    finally:
        await sponsor.close()
        await cdmo.close()
