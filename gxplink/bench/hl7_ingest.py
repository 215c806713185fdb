"""P2 "HL7 ingest": ORU^R01 messages/s through the LIMS adapter's MLLP listener into JetStream.

The real adapter (`LimsHl7Adapter` with real ports: a nats-server with `sync_interval: always`, the
SQLite store, the shipped mappings) listens for MLLP; four concurrent connections each send one
message at a time and wait for its ACK, as MLLP requires. The adapter sends AA only once every
event of the message is durably in JetStream, so ACKs/s is the end-to-end rate. At the end the
stream must hold exactly the expected events, and nothing may have been dead-lettered.

Baselines, measured in the same run on the same messages: parsing alone with python-hl7 (what the
adapter's MLLP framing comes from) and with hl7apy. The messages are built here from one realistic
ORU^R01 v2.5.1 release panel (no corpus needed); each message is a distinct record (its own MSH-10,
order, sample and batch), so the JetStream duplicate window drops none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import hl7
from hl7apy.parser import parse_message

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from adapters.lims.adapter import LimsHl7Adapter
from adapters.lims.config import LimsAdapterConfig
from canonical_model import subjects
from gxplink.bench.figures import BenchContext, Figure, median, percentile
from mappings.engine.catalog import Catalog, load_catalog
from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import DEAD_LETTERS, EVENTS, ensure_streams
from storage.engine import create_schema, default_url, make_engine

CONNECTIONS = 4
WARMUP = 8  # per run, not timed: first connection, first translation, first stream writes
START_BLOCK, END_BLOCK = b"\x0b", b"\x1c\x0d"
ACK_TIMEOUT = 30.0

# One CAR-T release panel as the LIMS sends it (like the lims/oru_r01 golden case): three results,
# one OBX without a value (skipped by the mapping), an NTE with an escape, the specimen.
TEMPLATE = "\r".join([
    "MSH|^~\\&|CAMLIMS|CAM-QC|GXPLINK|CAM|20261122101500+0000||ORU^R01^ORU_R01|{control}|P|2.5.1",
    "PID|1||{batch}||AUTOLOGOUS",
    "ORC|RE|PO-{n}^GXPLINK|{order}^CAMLIMS|{batch}",
    "OBR|1|PO-{n}^GXPLINK|{order}^CAMLIMS|CART19-REL^CAR-T release panel^L|||20261122090000+0000"
    "||||||||||||||20261122101400+0000|||F",
    "OBX|1|NM|VIAB^Viability^L||{viability}|%^percent^UCUM|>=70|N|||F|||20261122100000+0000"
    "||qc.rpatel^Patel^Ravi|^7-AAD flow cytometry",
    "NTE|1||Duplicate measurement \\T\\ mean reported",
    "OBX|2|NM|VCN^Vector copy number^L||{vcn}|{{copies}}/{{cell}}^copies per cell^UCUM|<=5|{vcn_flag}|||F"
    "|||20261122100500+0000||qc.rpatel^Patel^Ravi",
    "OBX|3|ST|STER^Sterility^L||No growth||No growth|N|||F|||20261122100600+0000||qc.rpatel^Patel^Ravi",
    "OBX|4|NM|ENDO^Endotoxin^L||||<5|||||F",
    "SPM|1|S-{batch}-FP|{batch}|FP",
]) + "\r"


def oru_r01(run: str, n: int) -> bytes:
    """Message `n` of a run: its own control id, order, sample and batch (so its own events)."""
    vcn = 2.0 + (n % 40) / 10
    return TEMPLATE.format(control=f"MSG-{run}-{n:06d}", n=n, order=f"ORD-{run}-{n:06d}",
                           batch=f"CART-{run}-{n:06d}", viability=f"{80 + (n % 200) / 10:.1f}",
                           vcn=f"{vcn:.1f}", vcn_flag="H" if vcn > 5 else "N").encode()


def parse_rate(parse: Callable[[str], Any], texts: list[str]) -> float:
    """Messages/s of `parse` over `texts` (one pass, after one untimed warm-up parse)."""
    parse(texts[0])
    started = time.perf_counter()
    for text in texts:
        parse(text)
    return len(texts) / (time.perf_counter() - started)


def events_per_message(catalog: Catalog, message: bytes) -> int:
    """How many events the shipped mapping makes of one message (results with a value)."""
    return len(catalog.select("lims", message).translate(message, datetime.now(UTC)))


async def send_all(host: str, port: int, messages: list[bytes], latencies: list[float]) -> int:
    """Send over one MLLP connection, one message in flight; returns how many were answered AA."""
    reader, writer = await asyncio.open_connection(host, port)
    accepted = 0
    try:
        for message in messages:
            sent = time.perf_counter()
            writer.write(START_BLOCK + message + END_BLOCK)
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(END_BLOCK), ACK_TIMEOUT)
            latencies.append(time.perf_counter() - sent)
            accepted += b"\rMSA|AA|" in answer
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return accepted


async def ingest(host: str, port: int, messages: list[bytes]) -> tuple[int, float, list[float]]:
    """(accepted, seconds, ACK latencies) for `messages` spread over CONNECTIONS concurrent connections."""
    latencies: list[float] = []
    started = time.perf_counter()
    counts = await asyncio.gather(*(send_all(host, port, messages[i::CONNECTIONS], latencies)
                                    for i in range(CONNECTIONS)))
    return sum(counts), time.perf_counter() - started, latencies


async def stored(js: Any, stream: str, subject: str) -> int:
    info = await js.stream_info(stream, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def run(ctx: BenchContext) -> dict[str, Figure]:
    count = ctx.pick(40, 1500, 10000)
    run_id = uuid.uuid4().hex[:8]
    warmup = [oru_r01(f"{run_id}W", n) for n in range(WARMUP)]
    messages = [oru_r01(run_id, n) for n in range(count)]
    catalog = load_catalog()
    per_message = events_per_message(catalog, messages[0])

    texts = [m.decode() for m in messages]
    sample = texts[:ctx.pick(10, 150, 1000)]  # hl7apy takes ~10 ms a message: a sample gives its rate
    ctx.say(f"P2 hl7 ingest: parsing {count} ORU^R01 with python-hl7, {len(sample)} with hl7apy")
    python_hl7 = parse_rate(hl7.parse, texts)
    hl7apy = parse_rate(parse_message, sample)

    workdir = ctx.scratch("p2")
    server = EmbeddedNats(workdir, sync="always", server_name="gxplink-bench")
    url = await asyncio.to_thread(server.start)
    try:
        nc = await connect(url, "bench-p2-lims")
        engine = make_engine(default_url(workdir))
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            await create_schema(engine)
            ports = AdapterPorts(nc=nc, js=js, publisher=Publisher(js), engine=engine, catalog=catalog,
                                 metrics=AdapterMetrics("lims"), nats_connected=lambda: nc.is_connected)
            adapter = LimsHl7Adapter(ports, LimsAdapterConfig(listen_host="127.0.0.1", listen_port=0,
                                                              lims_url=None))
            await adapter.start()
            try:
                host, port = adapter.listener.host, adapter.listener.port
                warm, _, _ = await ingest(host, port, warmup)
                ctx.say(f"P2 hl7 ingest: {count} ORU^R01 over {CONNECTIONS} MLLP connections into JetStream")
                accepted, seconds, latencies = await ingest(host, port, messages)
            finally:
                await adapter.stop()
            events = await stored(js, EVENTS.name, subjects.events_from("lims"))
            dead = await stored(js, DEAD_LETTERS.name, subjects.ALL_DEAD_LETTERS)
        finally:
            await nc.close()
            await engine.dispose()
    finally:
        await asyncio.to_thread(server.stop)

    expected = (WARMUP + count) * per_message
    if warm != WARMUP or accepted != count or events != expected or dead:
        raise RuntimeError(f"P2 hl7 ingest is not valid: {warm + accepted} of {WARMUP + count} messages "
                           f"answered AA, {events} of {expected} events in {EVENTS.name}, {dead} dead letters")
    rate = accepted / seconds
    return {
        "hl7_ingest": Figure(
            rate, "msg/s", python_hl7, "python-hl7 parse only", goal_value=2000, durability="fsync every write",
            detail={"messages": count, "connections": CONNECTIONS, "events_per_message": per_message,
                    "events_per_s": round(rate * per_message, 1), "seconds": round(seconds, 3),
                    "ack_latency_ms_p50": round(median(latencies) * 1000, 2),
                    "ack_latency_ms_p99": round(percentile(latencies, 99) * 1000, 2),
                    "events_in_jetstream": events, "hl7apy_parse_msg_per_s": round(hl7apy, 1),
                    "hl7apy_messages_parsed": len(sample),
                    "message_bytes": len(messages[0])}),
        "hl7_parse_hl7apy": Figure(hl7apy, "msg/s", python_hl7, "python-hl7 parse only",
                                   detail={"messages": len(sample), "python_hl7_messages": count}),
    }
