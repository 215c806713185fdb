"""ORU^R01 results from the LIMS to an MLLP receiver: content, corrections, escapes, resends, restart.

The receiver is written here on python-hl7's asyncio MLLP streams and acknowledges with python-hl7's
own `create_ack`, so nothing of the simulator's HL7 code judges its own output.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hl7
import httpx
import pytest
from hl7.mllp import InvalidBlockError, open_hl7_connection, start_hl7_server

pytestmark = pytest.mark.integration

FAST = {"ack_timeout_seconds": 0.3, "retry_backoff_seconds": 0.05, "result_delay_seconds": 0.05}


class Receiver:
    """A results receiver that acknowledges AA, or keeps silent for the next `withhold` messages."""

    def __init__(self, withhold: int = 0) -> None:
        self.withhold, self.messages, self.broken = withhold, [], []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self.server = await start_hl7_server(self._client, "127.0.0.1", 0, encoding="utf-8")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"mllp://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _client(self, reader, writer) -> None:
        try:
            while True:
                try:
                    message = await reader.readmessage()
                    control = str(message.segment("MSH")(10))
                except (InvalidBlockError, IndexError, hl7.ParseException) as exc:
                    self.broken.append(repr(exc))
                    continue
                self.messages.append(message)
                if self.withhold > 0:
                    self.withhold -= 1
                    continue
                writer.writemessage(message.create_ack("AA", message_id=f"ACK-{control}"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if getattr(exc, "partial", b"").strip():
                self.broken.append(repr(exc.partial[:80]))
        finally:
            writer.close()


async def until(check: Callable[[], object], timeout: float = 8.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def action(admin: str, name: str, **params: object) -> dict:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{admin}/sims/lims/actions/{name}", json=params)
        response.raise_for_status()
        return response.json()


async def audit(admin: str) -> list[dict]:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{admin}/sims/lims/audit")).json()


def fld(segment: hl7.Segment, number: int) -> str:
    with contextlib.suppress(IndexError):
        return str(segment(number))
    return ""


def obx_by_code(message: hl7.Message) -> dict[str, hl7.Segment]:
    return {str(s(3)(1)(1)): s for s in message.segments("OBX")}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


async def outbox(admin: str) -> list[dict]:
    return (await action(admin, "outbox"))["messages"]


async def test_an_hl7_order_gets_results_with_units_ranges_flags_and_notes(start_sim, receiver) -> None:
    sim, admin = await start_sim("lims")
    await action(admin, "set_receiver", url=receiver.url, application="MES", facility="CAM")
    await action(admin, "configure", **FAST)
    comment = r"Lot \F\ pH 7.2 \S\ 37 \T\ 5 \R\ C:\E\data\.br\second line"
    order = ("MSH|^~\\&|MES|CAM|LIMS|CAM|20250101120000||OML^O21^OML_O21|ORD-MSG-1|P|2.5.1\r"
             "ORC|NW|PO-77||B-24-077\rOBR|1|PO-77||CART19-REL^Release panel^L\r"
             f"NTE|1|P|{comment}\rSPM|1|S-77||CTP^Cell therapy product^L\r")
    reader, writer = await open_hl7_connection("127.0.0.1", sim.port, encoding="utf-8")
    writer.writemessage(hl7.parse(order))
    ack = await asyncio.wait_for(reader.readmessage(), 5)
    writer.close()
    assert str(ack.segment("MSA")(1)) == "AA" and str(ack.segment("MSH")(9)) == "ACK^O21^ACK"
    [stored] = (await action(admin, "orders", batch_id="B-24-077"))["orders"]
    assert stored["lines"][0]["comments"] == ["Lot | pH 7.2 ^ 37 & 5 ~ C:\\data\nsecond line"]

    await until(lambda: receiver.messages)
    oru = receiver.messages[0]
    assert str(oru.segment("MSH")(9)) == "ORU^R01^ORU_R01" and len(oru.segments("OBR")) == 1
    assert str(oru.segment("OBR")(2)) == "PO-77" and str(oru.segment("SPM")(2)) == "S-77"
    assert str(oru.segment("NTE")(3)) == comment  # escaped again on the way out, byte for byte
    obx = obx_by_code(oru)
    assert set(obx) == {"VIAB", "CD3", "CARPOS", "VCN", "TNC", "ENDO", "STER", "MYCO"}
    viab = obx["VIAB"]
    assert (fld(viab, 2), fld(viab, 6), fld(viab, 7), fld(viab, 8), fld(viab, 11)) == \
        ("NM", "%^percent^UCUM", ">=70", "N", "F")
    assert float(fld(viab, 5)) >= 70 and str(viab(3)(1)(4)) == "33825-6"
    assert fld(obx["VCN"], 6).endswith("^UCUM") and fld(obx["VCN"], 7) == "<=5"
    assert (fld(obx["STER"], 2), fld(obx["STER"], 5), fld(obx["STER"], 8)) == ("ST", "No growth", "N")
    await until(lambda: any(m["status"] == "delivered" for m in sim.store.outbox))


async def test_oos_results_are_flagged_and_a_correction_goes_out_with_status_c(start_sim, receiver) -> None:
    _sim, admin = await start_sim("lims")
    await action(admin, "set_receiver", url=receiver.url)
    await action(admin, "configure", auto_results=False, **FAST)
    order = await action(admin, "create_order", batch_id="B-5", sample_id="S-5", tests=["ENDO", "VIAB", "STER"])
    await action(admin, "release_results", batch_id="B-5", oos=["ENDO", "VIAB", "STER"])
    await until(lambda: receiver.messages)
    first = obx_by_code(receiver.messages[0])
    assert [fld(first[c], 8) for c in ("ENDO", "VIAB", "STER")] == ["H", "L", "A"]
    assert len(receiver.messages[0].segments("OBR")) == 3 and len(receiver.messages[0].segments("NTE")) == 3

    fixed = await action(admin, "correct_result", order_id=order["order_id"], code="ENDO", value=0.42,
                         reason="dilution factor applied twice")
    assert fixed["result"]["status"] == "C"
    await until(lambda: len(receiver.messages) == 2)
    corrected = receiver.messages[1]
    [obx] = corrected.segments("OBX")
    assert (fld(obx, 5), fld(obx, 8), fld(obx, 11)) == ("0.42", "N", "C") and fld(corrected.segment("OBR"), 25) == "C"
    assert "dilution factor applied twice" in str(corrected.segment("NTE")(3))
    trail = await audit(admin)
    assert any(e["action"] == "correct" and e["old"] == fld(first["ENDO"], 5) and e["new"] == "0.42" for e in trail)


async def test_no_ack_means_a_resend_with_the_same_control_id(start_sim) -> None:
    sim, admin = await start_sim("lims")
    async with Receiver(withhold=2) as silent:
        await action(admin, "set_receiver", url=silent.url)
        await action(admin, "configure", **FAST)
        await action(admin, "create_order", batch_id="B-6", tests=["TNC"])
        await until(lambda: any(m["status"] == "delivered" for m in sim.store.outbox))
    controls = [str(m.segment("MSH")(10)) for m in silent.messages]
    assert len(controls) == 3 and len(set(controls)) == 1
    assert (await outbox(admin))[0]["attempts"] == 3


@pytest.mark.parametrize("listening", [True, False], ids=["silent", "refused"])
async def test_retries_are_bounded(start_sim, listening: bool) -> None:
    sim, admin = await start_sim("lims")
    async with Receiver() as gone:
        closed = gone.url  # nobody listens there any more: connection refused
    async with Receiver(withhold=100) as silent:
        await action(admin, "set_receiver", url=silent.url if listening else closed)
        await action(admin, "configure", max_retries=2, **FAST)
        await action(admin, "create_order", batch_id="B-7", tests=["MYCO"])
        await until(lambda: any(m["status"] == "failed" for m in sim.store.outbox))
    assert sim.store.outbox[0]["attempts"] == 3 and len(silent.messages) == (3 if listening else 0)
    trail = await audit(admin)
    assert any(e["record_type"] == "outbound_message" and e["new"] == "failed" for e in trail)


async def test_a_restart_keeps_orders_and_resends_what_was_not_acknowledged(start_sim, tmp_path: Path) -> None:
    sim, admin = await start_sim("lims", data_dir=tmp_path / "keep")
    async with Receiver(withhold=100) as receiver:
        await action(admin, "set_receiver", url=receiver.url)
        await action(admin, "configure", ack_timeout_seconds=0.2, retry_backoff_seconds=5, result_delay_seconds=0)
        order = await action(admin, "create_order", batch_id="B-8", sample_id="S-8", tests=["VIAB"])
        await until(lambda: receiver.messages)
        await sim.stop()
        receiver.withhold = 0
        again, admin = await start_sim("lims", data_dir=tmp_path / "keep")
        await until(lambda: again.store.outbox[0]["status"] == "delivered")
    assert again.store.orders[order["order_id"]]["results"]["VIAB"]["status"] == "F"
    controls = {str(m.segment("MSH")(10)) for m in receiver.messages}
    assert len(receiver.messages) >= 2 and controls == {again.store.outbox[0]["control_id"]}
    await action(admin, "create_order", batch_id="B-8b", tests=["CD3"])
    await until(lambda: len(again.store.outbox) == 2)
    assert again.store.outbox[1]["control_id"] > again.store.outbox[0]["control_id"]  # the sequence continues


async def set_faults(admin: str, **faults: object) -> None:
    async with httpx.AsyncClient() as client:
        (await client.put(f"{admin}/sims/lims/faults", json=faults)).raise_for_status()


async def test_duplicate_fault_delivers_the_same_oru_twice(start_sim, receiver) -> None:
    sim, admin = await start_sim("lims")
    await action(admin, "set_receiver", url=receiver.url)
    await action(admin, "configure", **FAST)
    await set_faults(admin, duplicate_rate=1.0)
    await action(admin, "create_order", batch_id="B-D", tests=["CD3"])
    await until(lambda: len(receiver.messages) == 2)
    assert len({str(m.segment("MSH")(10)) for m in receiver.messages}) == 1
    await until(lambda: sim.store.outbox[0]["status"] == "delivered")


async def test_malformed_oru_is_retried_well_formed(start_sim, receiver) -> None:
    sim, admin = await start_sim("lims")
    await action(admin, "set_receiver", url=receiver.url)
    await action(admin, "configure", **FAST)
    await set_faults(admin, malformed_rate=1.0)
    await action(admin, "create_order", batch_id="B-M", tests=["CD3"])
    await until(lambda: len(receiver.broken) >= 2)
    assert sim.store.outbox[0]["status"] == "pending" and sim.store.outbox[0]["last_error"]
    await set_faults(admin, malformed_rate=0.0)
    await until(lambda: sim.store.outbox[0]["status"] == "delivered")
    assert str(receiver.messages[-1].segment("MSH")(10)) == sim.store.outbox[0]["control_id"]


async def test_clock_skew_moves_result_timestamps(start_sim, receiver) -> None:
    _sim, admin = await start_sim("lims")
    await action(admin, "set_receiver", url=receiver.url)
    await action(admin, "configure", **FAST)
    await set_faults(admin, clock_skew_seconds=3 * 3600)
    await action(admin, "create_order", batch_id="B-S", tests=["CD3"])
    await until(lambda: receiver.messages)
    [obx] = receiver.messages[0].segments("OBX")
    observed = datetime.strptime(fld(obx, 14), "%Y%m%d%H%M%S%z")
    assert timedelta(hours=2.9) < observed - datetime.now(UTC) < timedelta(hours=3.1)
