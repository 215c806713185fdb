"""`gxplink up --instance sponsor` and `--instance cdmo --link ...`: two deployments on one machine, each
with its own NATS server and store, linked so that only the transfer subjects cross."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError

from messaging.connection import connect
from messaging.streams import EVENTS, TRANSFER
from tests.support.cli import Background, processes_mentioning

pytestmark = pytest.mark.e2e


async def _exchange(sponsor_url: str, cdmo_url: str) -> tuple[list[bytes], list[bytes], int]:
    """(what the CDMO stored from the sponsor, what the sponsor stored from the CDMO, sponsor events leaked)."""
    sponsor, cdmo = await connect(sponsor_url, "e2e-sponsor"), await connect(cdmo_url, "e2e-cdmo")
    try:
        received: list[bytes] = []
        for attempt in range(100):  # until the leaf connection is up
            await sponsor.jetstream().publish("gxp.transfer.sponsor.hello", b"package %d" % attempt,
                                              headers={"Nats-Msg-Id": f"hello-{attempt}"})
            await asyncio.sleep(0.2)
            try:
                msg = await cdmo.jetstream().get_msg(TRANSFER.name, subject="gxp.transfer.sponsor.hello", seq=1,
                                                     next=True)
                received.append(msg.data or b"")
                break
            except NotFoundError:
                continue
        await sponsor.jetstream().publish("gxp.evt.mes.batch_created", b"{}", headers={"Nats-Msg-Id": "local-1"})
        await cdmo.jetstream().publish("gxp.transfer.cdmo.status", b"received", headers={"Nats-Msg-Id": "st-1"})
        await asyncio.sleep(1.0)
        back = await sponsor.jetstream().get_msg(TRANSFER.name, subject="gxp.transfer.cdmo.status", seq=1, next=True)
        leaked, seq = 0, 1
        while True:  # the sponsor's own event must not be in the CDMO's event stream
            try:
                msg = await cdmo.jetstream().get_msg(EVENTS.name, subject="gxp.evt.mes.batch_created", seq=seq,
                                                     next=True)
            except NotFoundError:
                break
            leaked += (msg.headers or {}).get("Nats-Msg-Id") == "local-1"
            seq = (msg.seq or seq) + 1
        return received, [back.data or b""], leaked
    finally:
        await sponsor.close()
        await cdmo.close()


@pytest.mark.requirement("URS-009")
def test_two_instances_linked_for_transfer_only(tmp_path: Path) -> None:
    sponsor_dir, cdmo_dir = tmp_path / "sponsor", tmp_path / "cdmo"
    sponsor = Background("up", "--instance", "sponsor", "--data-dir", str(sponsor_dir), "--endpoints-file",
                         str(tmp_path / "sponsor.json"), log_dir=tmp_path)
    cdmo = None
    try:
        ours = sponsor.wait_for_endpoints(tmp_path / "sponsor.json", ("nats", "transfer_link", "console"), timeout=90)
        link = Path(ours["transfer_link"])
        assert link.stat().st_mode & 0o777 == 0o600
        cdmo = Background("up", "--instance", "cdmo", "--link", str(link), "--data-dir", str(cdmo_dir),
                          "--endpoints-file", str(tmp_path / "cdmo.json"), log_dir=tmp_path)
        theirs = cdmo.wait_for_endpoints(tmp_path / "cdmo.json", ("nats", "console"), timeout=90)
        assert theirs["nats"] != ours["nats"] and (cdmo_dir / "gxplink.db").exists()

        received, back, leaked = asyncio.run(_exchange(ours["nats"], theirs["nats"]))
        assert received and received[0].startswith(b"package"), "the sponsor's package reached the CDMO's store"
        assert back == [b"received"], "the CDMO's status reached the sponsor's store"
        assert leaked == 0, "the sponsor's own events stay at the sponsor"
    finally:
        if cdmo is not None:
            assert cdmo.stop() == 0, cdmo.log()
        assert sponsor.stop() == 0, sponsor.log()
    assert processes_mentioning(str(tmp_path)) == []
