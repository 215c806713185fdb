"""Injected faults seen from an MLLP client: late ACKs, refused connections, NAKs, broken ACKs, skewed clock.

(Faults on outbound results, duplicate and malformed ORU^R01, are in test_lims_results.py beside the receiver.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import hl7
import httpx
import pytest
from hl7.mllp import open_hl7_connection

pytestmark = pytest.mark.integration

ORDER = ("MSH|^~\\&|MES|CAM|LIMS|CAM|20250101120000||OML^O21^OML_O21|{c}|P|2.5.1\r"
         "ORC|NW|PO-{c}||B-FAULT\rOBR|1|PO-{c}||VIAB^Viability^L\rSPM|1|S-{c}\r")


async def set_faults(admin_url: str, **faults: object) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.put(f"{admin_url}/sims/lims/faults", json=faults)
        response.raise_for_status()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await open_hl7_connection("127.0.0.1", port, encoding="utf-8")


async def send(port: int, control: str) -> hl7.Message:
    reader, writer = await connect(port)
    writer.writemessage(hl7.parse(ORDER.format(c=control)))
    try:
        return await asyncio.wait_for(reader.readmessage(), 5)
    finally:
        writer.close()


def ack_code(message: hl7.Message) -> tuple[str, str]:
    return str(message.segment("MSA")(1)), str(message.segment("MSA")(2))


async def test_latency_delays_the_ack(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await set_faults(admin, latency_ms=1500)
    reader, writer = await connect(sim.port)
    writer.writemessage(hl7.parse(ORDER.format(c="LATE")))
    answer = asyncio.ensure_future(reader.readmessage())
    done, _ = await asyncio.wait({answer}, timeout=0.2)
    assert not done  # 1.5 s of latency: nothing can be there yet
    ack = await asyncio.wait_for(answer, 10)
    writer.close()
    assert ack_code(ack) == ("AA", "LATE")


async def test_down_refuses_connections_and_up_reopens_the_same_port(start_sim) -> None:
    sim, admin = await start_sim("lims")
    port, url = sim.port, sim.url
    reader, writer = await connect(port)
    await set_faults(admin, down=True)
    assert await reader.read() == b""  # an open connection is dropped too
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await set_faults(admin, down=False)
    assert sim.url == url and ack_code(await send(port, "BACK")) == ("AA", "BACK")


async def test_error_fault_naks_with_err_and_registers_nothing(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await set_faults(admin, error_rate=1.0)
    nak = await send(sim.port, "NAK1")
    err = nak.segment("ERR")
    assert ack_code(nak) == ("AE", "NAK1") and str(err(3)(1)(1)) == "207" and str(err(8)) == "simulated fault"
    assert sim.store.orders == {}
    await set_faults(admin, error_rate=0.0)
    assert ack_code(await send(sim.port, "NAK2")) == ("AA", "NAK2") and len(sim.store.orders) == 1


async def test_malformed_fault_breaks_the_ack(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await set_faults(admin, malformed_rate=1.0)
    for n in range(4):
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writer.write(b"\x0b" + ORDER.format(c=f"BAD{n}").encode() + b"\x1c\r")
        data = b""
        while b"\x1c\r" not in data and b"\nMSA" not in data:
            data += await asyncio.wait_for(reader.read(4096), 5)
        writer.close()
        head = data.lstrip(b"\x0b").replace(b"\n", b"\r").split(b"\r")[0]
        framed = data.startswith(b"\x0b") and data.endswith(b"\x1c\r")
        assert not framed or len(head.split(b"|")) < 10, data  # no envelope, or MSH without MSH-9/10/12
    assert len(sim.store.orders) == 4  # only the answer was broken: the orders were taken
    await set_faults(admin, malformed_rate=0.0)
    assert ack_code(await send(sim.port, "GOOD")) == ("AA", "GOOD")


async def test_clock_skew_moves_msh7(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await set_faults(admin, clock_skew_seconds=-7200)
    ack = await send(sim.port, "SKEW")
    sent = datetime.strptime(str(ack.segment("MSH")(7)), "%Y%m%d%H%M%S%z")
    assert timedelta(hours=1.9) < datetime.now(UTC) - sent < timedelta(hours=2.1)
