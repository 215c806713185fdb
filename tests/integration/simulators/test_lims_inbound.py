"""The LIMS MLLP listener over real sockets: orders, ACK rules, garbage, the audit query over HL7.

Independent clients: python-hl7's `mllp_send` CLI (subprocess) and its asyncio MLLP streams; raw
sockets for what no decent client would send.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import hl7
import httpx
import pytest
from hl7.mllp import open_hl7_connection

from tests.support.corpora import corpus

pytestmark = pytest.mark.integration

def cdc_oml() -> Path:
    return corpus("cdc-trusted-intermediary/examples/CA/001_CA_OML_O21.hl7")
MLLP_SEND = Path(sys.executable).parent / "mllp_send"


def oml(control: str, placer: str, lines: str = "OBR|1|{p}||VIAB^Viability^L", batch: str = "B-24-001",
        sample: str = "S-1", version: str = "2.5.1") -> str:
    return "\r".join([
        f"MSH|^~\\&|MES|CAM|LIMS|CAM|20250101120000||OML^O21^OML_O21|{control}|P|{version}",
        f"ORC|NW|{placer}||{batch}", lines.format(p=placer), f"SPM|1|{sample}||CTP^Cell therapy product^L"]) + "\r"


async def send(port: int, text: str) -> hl7.Message:
    """Send one message with python-hl7's asyncio MLLP client; the parsed answer."""
    reader, writer = await open_hl7_connection("127.0.0.1", port, encoding="utf-8")
    try:
        writer.writemessage(hl7.parse(text))
        await writer.drain()
        return await asyncio.wait_for(reader.readmessage(), 5)
    finally:
        writer.close()


async def raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Write bytes on a fresh socket; everything received until <FS><CR>, close or timeout."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = b""
    try:
        while b"\x1c\r" not in got and (chunk := await asyncio.wait_for(reader.read(65536), timeout)):
            got += chunk
    except (TimeoutError, ConnectionError):
        pass
    writer.close()
    return got


def fld(segment: hl7.Segment, number: int, component: int = 0) -> str:
    """A field (or one component) as text, "" when absent (python-hl7 raises IndexError there)."""
    try:
        value = segment(number)
        return str(value(1)(component) if component else value)
    except IndexError:
        return ""


def segments(msg: hl7.Message, name: str) -> list[hl7.Segment]:
    return [s for s in msg if str(s[0]) == name]


def msa(answer: bytes | hl7.Message) -> tuple[str, str, list[str]]:
    """(MSA-1, MSA-2, ERR-3.1 codes) of an answer."""
    msg = answer if isinstance(answer, hl7.Message) else hl7.parse(answer.strip(b"\x0b\x1c\r").decode())
    [ack] = segments(msg, "MSA")
    return fld(ack, 1), fld(ack, 2), [fld(s, 3, 1) for s in segments(msg, "ERR")]


async def action(admin: str, name: str, **params: object) -> dict:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{admin}/sims/lims/actions/{name}", json=params)
        response.raise_for_status()
        return response.json()


async def mllp_send(port: int, path: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(MLLP_SEND), "--loose", "-f", str(path), "-p", str(port), "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def control_id(path: Path) -> str:
    return path.read_bytes().split(b"\n", 1)[0].split(b"|")[9].decode()


async def test_mllp_send_cli_gets_an_ack_for_the_cdc_order_and_survives_garbage(start_sim, tmp_path) -> None:
    sim, _ = await start_sim("lims")
    for _ in range(2):
        code, control, errs = msa((await mllp_send(sim.port, cdc_oml())).encode())
        assert control == control_id(cdc_oml()) and code == "AE" and errs == ["101"]  # public-health order: no OBR-4
        answer = await raw(sim.port, b"\x0bNOT HL7\r\x1c\r")
        assert msa(answer)[0] == "AR" and msa(answer)[2] == ["100"]
    ours = tmp_path / "order.hl7"
    ours.write_bytes(oml("CLI-1", "PO-CLI").replace("\r", "\n").encode())  # as a text editor would save it
    code, control, errs = msa((await mllp_send(sim.port, ours)).encode())
    assert (code, control, errs) == ("AA", "CLI-1", [])
    assert [o["placer_order"] for o in sim.store.orders.values()] == ["PO-CLI"]


async def test_orders_map_ids_codes_and_reject_unknown_tests(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await action(admin, "configure", auto_results=False)
    lines = "OBR|1|{p}||VIAB^Viability^L\rORC|NW|{p}||B-24-007\rOBR|2|{p}||8124-0^CD3+ T cells^LN"
    assert msa(await send(sim.port, oml("M1", "PO-1", lines, batch="B-24-007", sample="S-77")))[:2] == ("AA", "M1")
    [order] = (await action(admin, "orders", batch_id="B-24-007"))["orders"]
    assert (order["sample_id"], order["placer_order"], order["status"]) == ("S-77", "PO-1", "received")
    assert [t for line in order["lines"] for t in line["tests"]] == ["VIAB", "CD3"]
    code, control, errs = msa(await send(sim.port, oml("M2", "PO-2", "OBR|1|{p}||XYZ^Unknown^L")))
    assert (code, control, errs) == ("AE", "M2", ["103"])
    assert msa(await send(sim.port, oml("M3", "PO-3", "OBR|1|{p}")))[2] == ["101"]
    assert msa(await send(sim.port, oml("M1", "PO-1", lines)))[:2] == ("AA", "M1")  # a resend is not a new order
    assert msa(await send(sim.port, oml("M4", "PO-1", lines)))[2] == ["205"]  # same placer number, new message
    assert len(sim.store.orders) == 1


async def test_header_problems_are_rejected_with_the_senders_control_id(start_sim) -> None:
    sim, _ = await start_sim("lims")
    assert msa(await send(sim.port, oml("V1", "P", version="2.3")))[::2] == ("AR", ["203"])
    adt = "MSH|^~\\&|EHR|X|LIMS|CAM|20250101||ADT^A01^ADT_A01|T1|P|2.5.1\rPID|1||123\r"
    assert msa(await send(sim.port, adt)) == ("AR", "T1", ["200"])
    assert msa(await send(sim.port, adt.replace("ADT^A01^ADT_A01", "OML^O33").replace("T1", "T2")))[::2] == \
        ("AR", ["201"])
    assert msa(await send(sim.port, adt.replace("|P|2.5.1", "|X|2.5.1").replace("T1", "T3")))[::2] == ("AR", ["202"])


@pytest.mark.parametrize("data, control, code", [
    (b"\x0b\x1c\r", "", "100"),  # empty frame
    (b"\x0bPID|1||123\r\x1c\r", "", "100"),  # no MSH
    (b"\x0bMSH#^~\\&#MES#CAM#LIMS#CAM#2025##OML^O21#D1#P#2.5.1\r\x1c\r", "D1", "102"),  # odd delimiters
    (b"\x0bMSH|^~|MES|CAM|LIMS|CAM|2025||OML^O21|D2|P|2.5.1\r\x1c\r", "D2", "102"),  # short MSH-2
    (b"\x0bMSH|^~\\&|MES|CAM|LIMS|CAM|2025||OML^O21||P|2.5.1\r\x1c\r", "", "101"),  # no MSH-10
    (b"MSH|^~\\&|MES|CAM|LIMS|CAM|2025||OML^O21|D3|P|2.5.1\r\x1c\r", "D3", "100"),  # no <VT>
    (b"\x0b\xff\xfe\x00\x81garbage\x1c\r", "", "100"),  # binary
    (b"\x0bMSH|^~\\&|MES|CAM|LIMS|CAM|2025||OML^O21|D4|P|2.5.1\rORC|NW|X\rOBR|1|X||VIAB\r\x1c\r"
     b"\x0bMSH|^~\\&|MES|CAM|LIMS|CAM|2025||OML^O21|D4|P", "D4", ""),  # answered, then half a frame and gone
])
async def test_garbage_is_answered_or_closed_and_the_listener_keeps_serving(start_sim, data, control, code) -> None:
    sim, _ = await start_sim("lims")
    answer = await raw(sim.port, data)
    if code:
        assert msa(answer) == ("AR", control, [code])
    else:
        assert msa(answer)[:2] == ("AA", control)
    assert msa(await send(sim.port, oml("AFTER", "PO-AFTER")))[:2] == ("AA", "AFTER")


async def test_huge_frames_are_capped_and_the_connection_resynchronises(start_sim) -> None:
    sim, _ = await start_sim("lims")
    huge = b"\x0bMSH|^~\\&|MES|CAM|LIMS|CAM|2025||OML^O21|BIG|P|2.5.1\rNTE|1||" + b"x" * (2 << 20) + b"\x1c\r"
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(huge + b"\x0b" + oml("NEXT", "PO-NEXT").encode() + b"\x1c\r")
    await writer.drain()
    first = await asyncio.wait_for(reader.readuntil(b"\x1c\r"), 10)
    second = await asyncio.wait_for(reader.readuntil(b"\x1c\r"), 10)
    writer.close()
    assert msa(first) == ("AR", "BIG", ["207"]) and msa(second)[:2] == ("AA", "NEXT")


async def test_non_mllp_bytes_then_abrupt_disconnect_do_not_hurt(start_sim) -> None:
    sim, _ = await start_sim("lims")
    assert await raw(sim.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=0.3) == b""
    _, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(b"\x0bMSH|^~\\&|MES|CAM|LIMS")
    writer.transport.abort()  # RST mid-frame
    assert msa(await send(sim.port, oml("ALIVE", "PO-ALIVE")))[:2] == ("AA", "ALIVE")


async def test_audit_trail_is_readable_with_an_hl7_query(start_sim) -> None:
    sim, admin = await start_sim("lims")
    await action(admin, "configure", auto_results=False)
    order = await action(admin, "create_order", batch_id="B-9", sample_id="S-9", tests=["VIAB", "ENDO"])
    await action(admin, "release_results", order_id=order["order_id"], oos=["ENDO"])
    await action(admin, "correct_result", order_id=order["order_id"], code="VIAB", value=75.5, reason="recount")

    def query(control: str, after: str = "", limit: str = "50", name: str = "Z99^LIMS audit trail^99LIMS") -> str:
        return (f"MSH|^~\\&|AUDITOR|CAM|LIMS|CAM|2025||QBP^Z99^QBP_Q11|{control}|P|2.5.1\r"
                f"QPD|{name}|TAG-{control}|{after}||{order['order_id']}\rRCP|I|{limit}^RD\r")

    rsp = await send(sim.port, query("Q1"))
    assert fld(rsp.segment("MSH"), 9) == "RSP^Z99^RSP_K11" and msa(rsp)[:2] == ("AA", "Q1")
    rows, qak = segments(rsp, "ZAU"), rsp.segment("QAK")
    assert (fld(qak, 1), fld(qak, 2)) == ("TAG-Q1", "OK") and int(fld(qak, 4)) == len(rows) >= 6
    fix = next(r for r in rows if fld(r, 4) == "correct")
    assert (fld(fix, 6), fld(fix, 7), fld(fix, 10)) == (f"{order['order_id']}/VIAB", "value", "recount")
    assert float(fld(fix, 8)) != 75.5 and fld(fix, 9) == "75.5" and fld(fix, 3, 1) == "qc.rpatel"
    assert {fld(r, 5) for r in rows} == {"order", "result"}
    page = await send(sim.port, query("Q2", limit="2"))
    assert [fld(page.segment("QAK"), i) for i in (5, 6)] == ["2", str(len(rows) - 2)]
    rest = await send(sim.port, query("Q3", after=fld(segments(page, "ZAU")[-1], 1), limit="100"))
    assert len(segments(rest, "ZAU")) == len(rows) - 2
    bad = await send(sim.port, query("Q4", name="Z42^Other"))
    assert msa(bad) == ("AE", "Q4", ["103"]) and fld(bad.segment("QAK"), 2) == "AE"
