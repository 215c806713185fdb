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
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.base import SystemName
from canonical_model.batch import Batch
from canonical_model.batch_state import BatchState
from canonical_model.envelope import Envelope
from canonical_model.events.lims import TestResultRecorded
from canonical_model.events.mes import BatchCreated, BatchStateChanged, SamplePulled
from canonical_model.ids import deterministic_id, new_id
from canonical_model.messages import Message
from canonical_model.replies import succeeded_type
from canonical_model.sample import Sample
from canonical_model.test_result import TestResult
from gxplink.bench.figures import BenchContext, Figure, percentile
from messaging.connection import connect
from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import COMMANDS, ensure_streams
from orchestrator.builtin import builtin_registry
from orchestrator.engine.signing import Signer
from orchestrator.engine.store import WorkflowStore
from orchestrator.engine.worker import Orchestrator
from orchestrator.workflows.types import WORKFLOW_ENDED
from storage.engine import default_url, make_engine

SAMPLES = 2
TESTS = ("VIABILITY", "CD3_PCT")
SYSTEMS: tuple[SystemName, ...] = ("mes", "lims", "qms", "erp")
QA_USER, QA_NAME, QA_PASSWORD = "qa.bench", "Quinn Bench (QA)", "bench-release-password"
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


class _Batch:
    def __init__(self, token: str) -> None:
        self.id = f"B-P4-{token}"
        self.lot = f"L-P4-{token}"
        self.samples = [f"S-P4-{token}-{k}" for k in range(1, SAMPLES + 1)]
        self.release_instance = deterministic_id("workflow", "batch_release", self.id)
        self.last_sample_instance = deterministic_id("workflow", "sample_to_result", self.samples[-1])
        self.marks: dict[str, float] = {}
        self.released = asyncio.Event()


class _QaDesk:
    """The QA person signing with `gxplink sign`: a process of its own in production, here a thread with its own
    event loop, NATS connection and SQL engine, so the argon2 re-authentication does not block the orchestrator's
    event loop (which would make the orchestrator's next tick come sooner than it does in production)."""

    def __init__(self, url: str, db_url: str) -> None:
        self.url, self.db_url = url, db_url
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._signer: Signer | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-p4-qa", daemon=True)

    async def start(self) -> None:
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 60)
        if self._failure is not None or self.loop is None:
            raise RuntimeError(f"P4: the QA signer did not start: {self._failure}")

    async def close(self) -> None:
        if self.loop is not None and self._stop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, 15)

    async def sign(self, task_id: str) -> tuple[float, float]:
        """(when the signature was submitted, when it was stored and published), perf_counter seconds."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._sign(task_id), self.loop))

    async def _sign(self, task_id: str) -> tuple[float, float]:
        assert self._signer is not None
        submitted = time.perf_counter()
        await self._signer.sign(task_id, QA_USER, QA_PASSWORD, "approved")
        return submitted, time.perf_counter()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        engine = make_engine(self.db_url)
        nc: Client | None = None
        try:
            nc = await connect(self.url, "bench-qa")
            self._signer = Signer(WorkflowStore(engine), Publisher(nc.jetstream()))
            await self._signer.add_user(QA_USER, QA_NAME, "qa", QA_PASSWORD)
            self._stop = asyncio.Event()
            self.loop = asyncio.get_running_loop()
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await nc.close()
            await engine.dispose()


class _Plant:
    """The systems and the person around gxplink: events in, immediate replies to commands, QA signing."""

    def __init__(self, nc: Client, qa: _QaDesk) -> None:
        self.js = nc.jetstream()
        self.publisher = Publisher(self.js)
        self.qa = qa
        self.by_lot: dict[str, _Batch] = {}
        self.tasks: asyncio.Queue[tuple[str, str, float]] = asyncio.Queue()
        self.stop = asyncio.Event()
        self.runners: list[asyncio.Task[None]] = []
        self.failures: list[str] = []

    def start(self) -> None:
        for system in SYSTEMS:
            spec = ConsumerSpec(durable=f"bench_p4_{system}", stream=COMMANDS.name,
                                filter_subject=f"gxp.cmd.{system}.>", ack_wait=60)
            consumer = DurableConsumer(self.js, spec, self._responder(system), publisher=self.publisher,
                                       origin="bench")
            self.runners.append(asyncio.create_task(consumer.run(self.stop), name=f"bench-{system}"))
        self.runners.append(asyncio.create_task(self._sign_tasks(), name="bench-qa"))

    async def close(self) -> None:
        self.stop.set()
        await self.tasks.put(("", "", 0.0))
        for runner in self.runners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner, 10)

    def task_stored(self, task_id: str, lot: str, at: float) -> None:
        self.tasks.put_nowait((task_id, lot, at))

    def _responder(self, system: SystemName) -> Callable[[Msg], Awaitable[None]]:
        async def answer(msg: Msg) -> None:
            received = time.perf_counter()
            command = json.loads(msg.data)
            reply = succeeded_type(system)(command_id=command["id"], command_type=command["type"],
                                           completed_at=datetime.now(UTC))
            await self.publisher.publish(Envelope.wrap(
                reply, id=deterministic_id("bench-reply", command["id"]), source=f"/bench/{system}",
                actor=f"service:{system}-adapter", sourcesystem=system, correlationid=command.get("correlationid"),
                causationid=command["id"]))
            if command["type"].endswith(".erp.release_lot.v1"):
                batch = self.by_lot.get(command["data"]["lot_id"])
                if batch is not None:
                    batch.marks.setdefault("release_received", received)
                    batch.marks.setdefault("released", time.perf_counter())
                    batch.released.set()
        return answer

    async def _sign_tasks(self) -> None:
        while not self.stop.is_set():
            task_id, lot, stored = await self.tasks.get()
            if not task_id:
                return
            batch = self.by_lot.get(lot)
            try:
                signing, signed = await self.qa.sign(task_id)
                if batch is not None:
                    batch.marks.update(task=stored, signing=signing, signed=signed)
            except Exception as exc:  # noted and reported; the batch then times out with the reason
                self.failures.append(f"signing {task_id}: {exc}")

    async def publish(self, data: Message, system: SystemName, correlationid: str, subject: str | None = None) -> int:
        envelope = Envelope.wrap(data, source=f"/bench/{system}", actor=f"service:{system}-adapter",
                                 sourcesystem=system, correlationid=correlationid, subject=subject)
        payload = envelope.to_json()
        await self.publisher.publish(envelope)
        return len(payload)


def _result(batch: _Batch, sample: str, test: str) -> TestResultRecorded:
    now = datetime.now(UTC)
    return TestResultRecorded(result=TestResult(
        result_id=f"R-{sample}-{test}", order_id=f"PO-{sample}", sample_id=sample, batch_id=batch.id, analyte=test,
        value=92.5, unit="%", spec_low=70.0, spec_high=100.0, status="final", out_of_specification=False,
        abnormal_flag="N", observed_at=now, performed_by="lab.analyst"))


async def _begin(plant: _Plant, batch: _Batch) -> None:
    """Everything up to the last result: the batch, its samples, complete, every other result."""
    now = datetime.now(UTC)
    plant.by_lot[batch.lot] = batch
    await plant.publish(BatchCreated(batch=Batch(batch_id=batch.id, product="CART-19", master_recipe_id="MR-P4",
                                                 master_recipe_version=1, lot_id=batch.lot, state=BatchState.CREATED,
                                                 created_at=now)), "mes", batch.id)
    for sample in batch.samples:
        await plant.publish(SamplePulled(sample=Sample(sample_id=sample, batch_id=batch.id, lot_id=batch.lot,
                                                       sample_type="in_process", collected_at=now,
                                                       collected_by="op.jdoe"), requested_tests=TESTS),
                            "mes", batch.id)
    await plant.publish(BatchStateChanged(batch_id=batch.id, previous_state=BatchState.RUNNING,
                                          state=BatchState.COMPLETE,
                                          changed_at=now, changed_by="op.jdoe"), "mes", batch.id)
    for sample in batch.samples:
        for test in TESTS:
            if (sample, test) != (batch.samples[-1], TESTS[-1]):
                await plant.publish(_result(batch, sample, test), "lims", batch.id, f"sample/{sample}")


async def _idle(store: WorkflowStore, batch: _Batch, previous: _Batch | None) -> bool:
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
                          say: Callable[[str], None]) -> tuple[list[_Batch], _TimedStore, float, int]:
    """Run `batches` releases one after another; returns them with their marks, the store, poll interval, size."""
    engine = make_engine(default_url(workdir))
    connections = [await connect(url, name) for name in ("bench-orchestrator", "bench-plant")]
    orchestrator_nc, plant_nc = connections
    qa = _QaDesk(url, default_url(workdir))
    plant: _Plant | None = None
    store = _TimedStore(engine, lambda *_: None)
    js = orchestrator_nc.jetstream()
    # As gxplink.bootstrap.build_orchestrator builds it (no poll interval given: the engine's default).
    orchestrator = Orchestrator(builtin_registry(), store, js, Publisher(js))
    try:
        await ensure_streams(js)
        await orchestrator.start()  # creates the schema, users table included
        await qa.start()
        plant = _Plant(plant_nc, qa)
        store.on_task = plant.task_stored
        plant.start()
        run_token = new_id()[:8]
        done: list[_Batch] = []
        size = 0
        previous: _Batch | None = None
        for n in range(1, batches + 1):
            batch = _Batch(f"{run_token}-{n:04d}")
            await _begin(plant, batch)
            await _wait(functools.partial(_idle, store, batch, previous), f"batch {n}: waiting for its last result")
            await asyncio.sleep(rng.uniform(0, orchestrator.poll))
            last = _result(batch, batch.samples[-1], TESTS[-1])
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


async def _completed(store: WorkflowStore, batch: _Batch) -> bool:
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


def _legs(batches: list[_Batch], store: _TimedStore) -> dict[str, list[float]]:
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
