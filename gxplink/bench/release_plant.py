"""The plant around the orchestrator in the P4 benchmark: batches, the systems' replies and a QA signer.

The MES and LIMS publish canonical events as their adapters would, every system answers each command on
`gxp.cmd.<system>.>` at once with a succeeded reply, and a QA person signs each release task with the
real re-authentication, from a thread of its own (as `gxplink workflows sign` runs in its own process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg

from canonical_model.base import SystemName
from canonical_model.batch import Batch
from canonical_model.batch_state import BatchState
from canonical_model.envelope import Envelope
from canonical_model.events.lims import TestResultRecorded
from canonical_model.events.mes import BatchCreated, BatchStateChanged, SamplePulled
from canonical_model.ids import deterministic_id
from canonical_model.messages import Message
from canonical_model.replies import succeeded_type
from canonical_model.sample import Sample
from canonical_model.test_result import TestResult
from messaging.connection import connect
from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.publisher import Publisher
from messaging.streams import COMMANDS
from orchestrator.engine.signing import Signer
from orchestrator.engine.store import WorkflowStore
from storage.engine import make_engine

SAMPLES = 2
TESTS = ("VIABILITY", "CD3_PCT")
SYSTEMS: tuple[SystemName, ...] = ("mes", "lims", "qms", "erp")
QA_USER, QA_NAME, QA_PASSWORD = "qa.bench", "Quinn Bench (QA)", "bench-release-password"


class ReleaseBatch:
    def __init__(self, token: str) -> None:
        self.id = f"B-P4-{token}"
        self.lot = f"L-P4-{token}"
        self.samples = [f"S-P4-{token}-{k}" for k in range(1, SAMPLES + 1)]
        self.release_instance = deterministic_id("workflow", "batch_release", self.id)
        self.last_sample_instance = deterministic_id("workflow", "sample_to_result", self.samples[-1])
        self.marks: dict[str, float] = {}
        self.released = asyncio.Event()


class QaDesk:
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


class Plant:
    """The systems and the person around gxplink: events in, immediate replies to commands, QA signing."""

    def __init__(self, nc: Client, qa: QaDesk) -> None:
        self.js = nc.jetstream()
        self.publisher = Publisher(self.js)
        self.qa = qa
        self.by_lot: dict[str, ReleaseBatch] = {}
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


def result_of(batch: ReleaseBatch, sample: str, test: str) -> TestResultRecorded:
    now = datetime.now(UTC)
    return TestResultRecorded(result=TestResult(
        result_id=f"R-{sample}-{test}", order_id=f"PO-{sample}", sample_id=sample, batch_id=batch.id, analyte=test,
        value=92.5, unit="%", spec_low=70.0, spec_high=100.0, status="final", out_of_specification=False,
        abnormal_flag="N", observed_at=now, performed_by="lab.analyst"))


async def begin(plant: Plant, batch: ReleaseBatch) -> None:
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
                await plant.publish(result_of(batch, sample, test), "lims", batch.id, f"sample/{sample}")
