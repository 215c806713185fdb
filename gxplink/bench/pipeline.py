"""P1 pipeline: canonical events/s from source records through an adapter, JetStream and the audit store.

The pipeline is the MES adapter's inbound path as it runs in `gxplink up` (the shipped mapping, the
envelope with a message id derived from the source record, one JetStream publish acknowledged per
record) followed by the audit writer appending to SQLite. Two baselines run on the same server and
stream storage with the same payload size: raw nats-py (publishes pipelined in windows, a pull
consumer acking each message: the limit), and a plain faststream publisher/subscriber pipeline
written as one would by hand (one awaited publish per message, a durable push subscriber).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import warnings
from pathlib import Path

from nats.js.api import StorageType, StreamConfig

from adapters.framework.inbound import InboundPipeline
from adapters.framework.metrics import AdapterMetrics
from gxplink.bench.figures import BenchContext, Durability, Figure, rss_mb
from mappings.engine.catalog import load_catalog
from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import ensure_streams
from orchestrator.audit.writer import AuditWriter
from storage.engine import default_url, make_engine

WINDOW = 256  # publishes in flight in the raw baseline
MODES: dict[str, Durability] = {"always": "fsync every write", "interval": "server default (sync every 2 min)"}


def feed_record(seq: int) -> bytes:
    """A MES change-feed record (material consumed), distinct per seq, as the simulator writes them."""
    return json.dumps({
        "seq": seq, "type": "material_consumed", "at": "2026-11-22T21:11:33.672914+00:00", "user": "jdoe",
        "batch_id": f"CART-BENCH-{seq // 500:04d}", "record_type": "consumption", "record_id": f"CON-{seq:07d}",
        "data": {"consumption_id": f"CON-{seq:07d}", "lot": "MED-24-330", "material": "MAT-MED", "quantity": 5.0,
                 "unit": "L", "step_id": "PH-0501", "consumed_by": "jdoe",
                 "consumed_at": "2026-11-22T21:11:33.672654+00:00"}}).encode()


async def gxplink_pipeline(url: str, workdir: Path, n: int) -> tuple[float, int]:
    """Events/s through adapter -> JetStream -> audit store, and the payload size of one event."""
    nc = await connect(url, "bench-pipeline")
    engine = make_engine(default_url(workdir))
    writer = AuditWriter(nc.jetstream(), engine, workdir / "keys", durable_prefix="bench-audit", batch=256)
    try:
        await ensure_streams(nc.jetstream())
        pipeline = InboundPipeline("mes", Publisher(nc.jetstream()), load_catalog(), AdapterMetrics("mes"))
        await writer.start()
        started = time.perf_counter()
        for seq in range(1, n + 1):
            await pipeline.accept(feed_record(seq), origin="bench", mapping="mes/material_consumed")
        while writer.appended < n:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        size = (await nc.jetstream().get_last_msg("GXP_EVENTS", "gxp.evt.mes.material_consumed")).data
        return n / elapsed, len(size or b"")
    finally:
        await writer.stop()
        await nc.close()
        await engine.dispose()


async def raw_limit(url: str, n: int, size: int) -> float:
    """Messages/s of raw nats-py: windows of pipelined publishes, a pull consumer acking each."""
    nc = await connect(url, "bench-raw")
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BENCH_RAW", subjects=["bench.raw.>"], storage=StorageType.FILE))
    payload = b"x" * size
    done = asyncio.Event()
    received = 0

    async def consume() -> None:
        nonlocal received
        sub = await js.pull_subscribe("bench.raw.>", durable="bench-raw", stream="BENCH_RAW")
        while received < n:
            try:
                msgs = await sub.fetch(WINDOW, timeout=1)
            except TimeoutError:
                continue
            for msg in msgs:
                await msg.ack()
            received += len(msgs)
        done.set()

    try:
        started = time.perf_counter()
        consumer = asyncio.create_task(consume())
        for first in range(0, n, WINDOW):
            await asyncio.gather(*(js.publish(f"bench.raw.{i}", payload, headers={"Nats-Msg-Id": f"raw-{i}"})
                                   for i in range(first, min(n, first + WINDOW))))
        await asyncio.wait_for(done.wait(), 120)
        await consumer
        return n / (time.perf_counter() - started)
    finally:
        await js.delete_stream("BENCH_RAW")
        await nc.close()


async def faststream_plain(url: str, n: int, size: int) -> float:
    """Messages/s of a hand-written faststream pipeline: awaited publish per message, durable subscriber."""
    from faststream.nats import JStream, NatsBroker

    broker = NatsBroker(url, logger=None)
    stream = JStream("BENCH_FS", subjects=["bench.fs.>"])
    received = 0
    done = asyncio.Event()

    with warnings.catch_warnings():  # faststream nudges towards pull consumers; "by hand" means its default
        warnings.simplefilter("ignore", RuntimeWarning)
        subscriber = broker.subscriber("bench.fs.>", stream=stream, durable="bench-fs")

    @subscriber
    async def handle(body: bytes) -> None:
        nonlocal received
        received += 1
        if received >= n:
            done.set()

    payload = b"x" * size
    await broker.start()
    try:
        started = time.perf_counter()
        for i in range(n):
            await broker.publish(payload, f"bench.fs.{i}", stream="BENCH_FS", headers={"Nats-Msg-Id": f"fs-{i}"})
        await asyncio.wait_for(done.wait(), 120)
        return n / (time.perf_counter() - started)
    finally:
        await broker.stop()


class PeakRss:
    """Samples the RSS of the stack's processes while a load runs; keeps the peak."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak, self.idle = pids, 0.0, rss_mb(pids)
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pids))
            await asyncio.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.peak = max(self.peak, rss_mb(self.pids))


async def run(ctx: BenchContext) -> dict[str, Figure]:
    n = ctx.pick(50, 2000, 20000)
    figures: dict[str, Figure] = {}
    for sync in ("always", "interval"):
        server = EmbeddedNats(ctx.scratch(f"p1-{sync}"), sync=sync)
        url = await asyncio.to_thread(server.start)
        try:
            with PeakRss([os.getpid(), server.pid or 0]) as memory:
                rate, size = await gxplink_pipeline(url, ctx.scratch(f"p1-gxplink-{sync}"), n)
            limit = await raw_limit(url, n, size)
            plain = await faststream_plain(url, n, size)
        finally:
            await asyncio.to_thread(server.stop)
        ctx.say(f"P1 pipeline ({MODES[sync]}): {rate:,.0f} events/s; raw nats-py {limit:,.0f}/s; "
                f"faststream plain {plain:,.0f}/s")
        suffix = "" if sync == "always" else "_server_default_sync"
        figures[f"pipeline{suffix}"] = Figure(
            rate, "events/s", limit, "raw nats-py pipelined publish + pull-consume with acks", goal_ratio=0.6,
            durability=MODES[sync], detail={"events": n, "payload_bytes": size, "stages": "mapping -> JetStream "
                                            "(message id, acked publish) -> audit store (SQLite, hash chain)"})
        figures[f"pipeline_vs_faststream{suffix}"] = Figure(
            rate, "events/s", plain, "plain faststream per-message publisher/subscriber", goal_ratio=2.0,
            durability=MODES[sync])
        if sync == "always":
            figures["memory_peak_rss"] = Figure(
                memory.peak, "MB", memory.idle, "RSS of the same processes before the load", better="lower",
                goal_value=400, durability=MODES[sync],
                detail={"processes": "this gxplink process (adapter pipeline, audit writer) + nats-server"})
    return figures
