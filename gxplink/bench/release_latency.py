"""P4 release latency: the batch's last QC result -> the ERP lot released, p50 and p99 over many batches.

What runs: a real nats-server with JetStream (fsync on every write), the real orchestrator with the
built-in workflows (batch_release v2, sample_to_result) on SQLite, built as `gxplink up` builds it:
`gxplink.bootstrap.build_orchestrator` passes no poll interval, so the engine's default applies
(`Orchestrator(poll_seconds=0.2)`: after each pass over its instances the orchestrator sleeps that long).
The plant around it is played in-process: the MES and LIMS "adapters" publish canonical events, each
system answers every command on `gxp.cmd.<system>.>` at once with a succeeded reply (read from a
durable pull consumer, as the adapters' command loops read), and an automatic QA signer signs each
release task, with the real re-authentication (argon2), the moment the task is stored. The signer
runs on a thread with its own event loop, NATS connection and SQL engine, as `gxplink sign` runs in a
process of its own: its argon2 work must not stall the orchestrator's event loop.

One batch at a time: BatchCreated, two SamplePulled (two tests each), the batch complete, and every
result but the last are published; once the orchestrator is idle (the release waits for the results
of every sample, the last sample's workflow waits for its last result) and after a random pause
within one poll interval (so the result does not always land just after an orchestrator pass),
the last result is published. The clock starts before that publish.

Where it ends: the ERP's succeeded reply to `ReleaseLot`, stored (acknowledged) in JetStream. That is
the moment the lot is released in the ERP and the fact is durable; the workflow waits for no
LotReleased event. The orchestrator recording the reply in its history and the instance completing
(after AttachExternalReference to the MES) come later and are given in `detail`.

The person is on the path: the workflow creates the QA task only after every sample's workflow has
ended and no deviation is open, so the signature always falls between the last result and the
release. The main figure is therefore the machine latency: (last result -> QA task stored) + (QA
submits the signature -> lot released). It includes the signature's own processing (argon2
re-authentication, storing it, publishing SignatureRecorded), which the person waits for, but not the
time the task waited for someone to sign; the total including that wait (about a millisecond here:
the signer reacts at once) is in `detail`, with every leg.

Baseline: one raw nats-py JetStream publish of a payload of the last result's size, consumed by a
waiting pull consumer on the same server; the round trip from the publish to the consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.ids import new_id
from gxplink.bench.figures import BenchContext, Figure, percentile
from gxplink.bench.release_plant import SAMPLES, TESTS, Plant, QaDesk, ReleaseBatch, begin, result_of
from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import ensure_streams
from orchestrator.builtin import builtin_registry
from orchestrator.engine.store import WorkflowStore
from orchestrator.engine.worker import Orchestrator
from orchestrator.workflows.types import WORKFLOW_ENDED
from storage.engine import default_url, make_engine

BATCH_TIMEOUT = 30.0


class _TimedStore(WorkflowStore):
    """The orchestrator's store, unchanged, noting when a task is stored and when an instance moves on."""

    def __init__(self, engine: AsyncEngine, on_task: Callable[[str, str, float], None]) -> None:
        super().__init__(engine)
        self.on_task = on_task
        self.resolved: dict[tuple[str, str], float] = {}
        self.finished: dict[str, float] = {}

    async def add_task(self, **values: Any) -> bool:
        added = await super().add_task(**values)
        if added:
            self.on_task(values["id"], values["record_id"], time.perf_counter())
        return added

    async def record(self, instance_id: str, seq: int, phase: str, step: str, kind: str,
                     payload: dict[str, Any]) -> bool:
        done = await super().record(instance_id, seq, phase, step, kind, payload)
        if phase == "resolved":
            self.resolved.setdefault((instance_id, step), time.perf_counter())
        return done

    async def finish(self, instance_id: str, status: str, result: str | None) -> None:
        await super().finish(instance_id, status, result)
        self.finished.setdefault(instance_id, time.perf_counter())


async def _idle(store: WorkflowStore, batch: ReleaseBatch, previous: ReleaseBatch | None) -> bool:
    """The orchestrator has nothing left to do but wait for the batch's last result."""
    if previous is not None:
        done = await store.instance(previous.release_instance)
        if done is None or done["status"] != "completed":
            return False
    release, _ = await store.history(batch.release_instance)
    if not any(step.step == "results of every sample" and step.outcome is None for step in release):
        return False
    for sample in batch.samples[:-1]:
        if not await store.events_of_types(WORKFLOW_ENDED, sample):
            return False
    last, _ = await store.history(batch.last_sample_instance)
    return any(step.step == f"result {len(TESTS)}" and step.outcome is None for step in last)


async def _wait(check: Callable[[], Awaitable[bool]], what: str, timeout: float = BATCH_TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"P4: {what} not reached within {timeout:.0f}s")
        await asyncio.sleep(0.01)


async def release_batches(url: str, workdir: Path, batches: int, rng: random.Random,
                          say: Callable[[str], None]) -> tuple[list[ReleaseBatch], _TimedStore, float, int]:
    """Run `batches` releases one after another; returns them with their marks, the store, poll interval, size."""
    engine = make_engine(default_url(workdir))
    connections = [await connect(url, name) for name in ("bench-orchestrator", "bench-plant")]
    orchestrator_nc, plant_nc = connections
    qa = QaDesk(url, default_url(workdir))
    plant: Plant | None = None
    store = _TimedStore(engine, lambda *_: None)
    js = orchestrator_nc.jetstream()
    # As gxplink.bootstrap.build_orchestrator builds it (no poll interval given: the engine's default).
    orchestrator = Orchestrator(builtin_registry(), store, js, Publisher(js))
    try:
        await ensure_streams(js)
        await orchestrator.start()  # creates the schema, users table included
        await qa.start()
        plant = Plant(plant_nc, qa)
        store.on_task = plant.task_stored
        plant.start()
        run_token = new_id()[:8]
        done: list[ReleaseBatch] = []
        size = 0
        previous: ReleaseBatch | None = None
        for n in range(1, batches + 1):
            batch = ReleaseBatch(f"{run_token}-{n:04d}")
            await begin(plant, batch)
            await _wait(functools.partial(_idle, store, batch, previous), f"batch {n}: waiting for its last result")
            await asyncio.sleep(rng.uniform(0, orchestrator.poll))
            last = result_of(batch, batch.samples[-1], TESTS[-1])
            batch.marks["last_result"] = time.perf_counter()
            size = await plant.publish(last, "lims", batch.id, f"sample/{batch.samples[-1]}")
            try:
                await asyncio.wait_for(batch.released.wait(), BATCH_TIMEOUT)
            except TimeoutError:
                raise TimeoutError(f"P4: batch {n} not released within {BATCH_TIMEOUT:.0f}s; reached "
                                   f"{sorted(batch.marks)}; {'; '.join(plant.failures)}") from None
            done.append(batch)
            previous = batch
            if n % 10 == 0:
                say(f"P4: {n}/{batches} batches released")
        if previous is not None:
            await _wait(functools.partial(_completed, store, previous), "the last batch's completion")
        return done, store, orchestrator.poll, size
    finally:
        if plant is not None:
            await plant.close()
        await qa.close()
        await orchestrator.stop()
        for nc in connections:
            with contextlib.suppress(Exception):
                await nc.close()
        await engine.dispose()


async def _completed(store: WorkflowStore, batch: ReleaseBatch) -> bool:
    row = await store.instance(batch.release_instance)
    return bool(row and row["status"] == "completed")


async def raw_round_trips(url: str, n: int, size: int) -> list[float]:
    """ms from a raw nats-py JetStream publish to a waiting pull consumer receiving it, one message at a time."""
    nc = await connect(url, "bench-p4-raw")
    js: JetStreamContext = nc.jetstream()
    await js.add_stream(StreamConfig(name="BENCH_P4_RAW", subjects=["bench.p4.raw"], storage=StorageType.FILE))
    sub = await js.pull_subscribe("bench.p4.raw", durable="bench-p4-raw", stream="BENCH_P4_RAW")
    payload = b"x" * size
    arrivals: asyncio.Queue[float] = asyncio.Queue()
    stop = asyncio.Event()

    async def consume() -> None:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(1, timeout=1)
            except TimeoutError:
                continue
            for msg in msgs:
                arrivals.put_nowait(time.perf_counter())
                await msg.ack()

    consumer = asyncio.create_task(consume())
    try:
        await asyncio.sleep(0.05)  # the consumer's pull request is waiting on the server
        samples = []
        for i in range(n):
            started = time.perf_counter()
            await js.publish("bench.p4.raw", payload, headers={"Nats-Msg-Id": f"p4-raw-{i}"})
            samples.append((await asyncio.wait_for(arrivals.get(), 10) - started) * 1000)
        return samples
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consumer, 5)
        with contextlib.suppress(Exception):
            await js.delete_stream("BENCH_P4_RAW")
        await nc.close()


def _legs(batches: list[ReleaseBatch], store: _TimedStore) -> dict[str, list[float]]:
    """Per batch, in ms: the figure's parts and what comes after the release."""
    legs: dict[str, list[float]] = {}

    def add(name: str, ms: float) -> None:
        legs.setdefault(name, []).append(ms)

    for b in batches:
        m = b.marks
        sample_done = store.finished[b.last_sample_instance]
        add("machine", (m["task"] - m["last_result"] + m["released"] - m["signing"]) * 1000)
        add("total", (m["released"] - m["last_result"]) * 1000)
        add("last result -> last sample's workflow finished", (sample_done - m["last_result"]) * 1000)
        add("sample workflow finished -> QA task stored", (m["task"] - sample_done) * 1000)
        add("QA task stored -> signature submitted (the person; excluded)", (m["signing"] - m["task"]) * 1000)
        add("signature: re-authentication, stored, published", (m["signed"] - m["signing"]) * 1000)
        add("signature stored -> ReleaseLot at the ERP", (m["release_received"] - m["signed"]) * 1000)
        add("ERP: succeeded reply stored in JetStream", (m["released"] - m["release_received"]) * 1000)
        add("ERP reply -> release recorded in the workflow history",
            (store.resolved[(b.release_instance, "release lot")] - m["released"]) * 1000)
        add("last result -> instance completed (after AttachExternalReference)",
            (store.finished[b.release_instance] - m["last_result"]) * 1000)
    return legs


def _spread(samples: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(samples, 50), 1), "p99": round(percentile(samples, 99), 1),
            "max": round(max(samples), 1)}


async def run(ctx: BenchContext) -> dict[str, Figure]:
    batches = ctx.pick(3, 25, 300)
    server = EmbeddedNats(ctx.scratch("p4"), sync="always")
    url = await asyncio.to_thread(server.start)
    try:
        released, store, poll, size = await release_batches(url, ctx.scratch("p4-db"), batches, random.Random(4),
                                                            ctx.say)
        raw = await raw_round_trips(url, ctx.pick(20, 200, 1000), size)
    finally:
        await asyncio.to_thread(server.stop)
    legs = _legs(released, store)
    machine = legs.pop("machine")
    p50, p99 = percentile(machine, 50), percentile(machine, 99)
    raw50, raw99 = percentile(raw, 50), percentile(raw, 99)
    ctx.say(f"P4 release latency: p50 {p50:.0f} ms, p99 {p99:.0f} ms over {batches} batches "
            f"(orchestrator poll {poll * 1000:.0f} ms); raw JetStream round trip p50 {raw50:.2f} ms, "
            f"p99 {raw99:.2f} ms")
    detail = {
        "batches": batches, "samples_per_batch": SAMPLES, "tests_per_sample": len(TESTS), "payload_bytes": size,
        "orchestrator_poll_seconds": poll,
        "poll_source": "Orchestrator's default poll_seconds; gxplink.bootstrap.build_orchestrator (gxplink up) "
                       "sets none",
        "measured": "publish of the last QC result -> the ERP's succeeded reply to ReleaseLot stored in JetStream; "
                    "machine latency = (last result -> QA task stored) + (signature submitted -> lot released)",
        "stack": "one nats-server (JetStream, fsync every write), one orchestrator on SQLite (WAL, synchronous=FULL), "
                 "systems answering commands at once from durable pull consumers, no audit writer",
        "total_ms": _spread([*legs["total"]]),
        "legs_ms": {name: _spread(values) for name, values in legs.items() if name != "total"},
        "raw_round_trips": len(raw),
    }
    baseline_name = "raw JetStream publish->consume round trip"
    return {
        "release_latency_p99": Figure(p99, "ms", raw99, f"{baseline_name} p99", better="lower", goal_value=250,
                                      durability="fsync every write", detail=detail),
        "release_latency_p50": Figure(p50, "ms", raw50, f"{baseline_name} p50", better="lower",
                                      durability="fsync every write",
                                      detail={"batches": batches, "orchestrator_poll_seconds": poll,
                                              "total_ms": detail["total_ms"]}),
    }
