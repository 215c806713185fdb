"""The workflow engine against a real nats-server and SQLite: durability, replay, compensation, leases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model.commands.erp import ReleaseLot, SetLotDisposition
from canonical_model.commands.mes import HoldBatch
from canonical_model.envelope import Envelope
from canonical_model.ids import deterministic_id
from canonical_model.replies import failed_type, succeeded_type
from messaging.publisher import Publisher
from orchestrator.engine.compensation import with_compensation
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import WorkflowDefinition, WorkflowRegistry
from orchestrator.engine.effects import AllOf, AwaitEvent, CommandRejected, Decide, Effect, HumanTask, SendCommand
from orchestrator.engine.signing import Signer, SigningError
from orchestrator.engine.store import WorkflowStore
from orchestrator.engine.worker import Orchestrator
from storage.engine import default_url, make_engine

pytestmark = pytest.mark.integration


def release(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    batch = ctx.business_key
    done = yield AwaitEvent("await batch complete", ("io.gxplink.evt.mes.batch_state_changed.v1",),
                            {"correlationid": batch, "data.state": "complete"})
    yield Decide("assess", "release", (f"batch completed by {done['actor']}",))
    signature = yield HumanTask("qa approval", f"Release {batch}", "lot", f"L-{batch}", {"batch": batch},
                                ("approved",))
    yield SendCommand("release lot", ReleaseLot(lot_id=f"L-{batch}", reason="QA approved",
                                                signature_id=signature["signature_id"]),
                      compensation=SendCommand("block lot", SetLotDisposition(
                          lot_id=f"L-{batch}", disposition="block", reason="release not completed")))
    try:
        yield SendCommand("hold check", HoldBatch(batch_id=batch, reason="post-release check"))
    except CommandRejected:
        raise
    return "released"


REGISTRY = WorkflowRegistry([WorkflowDefinition("test_release", 1, with_compensation(release))])


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    sql = make_engine(default_url(tmp_path))
    yield sql
    await sql.dispose()


async def reply_to(nc: Client, command: dict[str, Any], ok: bool = True) -> None:
    system = command["type"].split(".")[3]
    common = {"command_id": command["id"], "command_type": command["type"]}
    data = (succeeded_type(system)(**common, completed_at="2026-11-22T10:00:00Z") if ok  # type: ignore[arg-type]
            else failed_type(system)(**common, failed_at="2026-11-22T10:00:00Z",  # type: ignore[arg-type]
                                     error_class="permanent", detail="refused by the system"))
    envelope = Envelope.wrap(data, id=deterministic_id("test-reply", command["id"]), source="/test",
                             actor="service:test", sourcesystem=system, causationid=command["id"])  # type: ignore[arg-type]
    await Publisher(nc.jetstream()).publish(envelope)


async def commands_for(nc: Client, token: str) -> list[dict[str, Any]]:
    return await stored_commands(nc, lambda doc: doc.get("correlationid") == token)


async def stored_commands(nc: Client, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every command JetStream holds that `keep` selects, in order."""
    from nats.js.errors import NotFoundError

    found, seq = [], 1
    while True:
        try:
            msg = await nc.jetstream().get_msg("GXP_COMMANDS", seq=seq, subject="gxp.cmd.>", next=True)
        except NotFoundError:
            return found
        doc = json.loads(msg.data)
        if keep(doc):
            found.append(doc)
        seq = (msg.seq or seq) + 1


async def wait_for(check: Any, timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := await check()) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    return value


async def batch_completed(nc: Client, batch: str) -> None:
    from canonical_model.events.mes import BatchStateChanged

    event = BatchStateChanged(batch_id=batch, previous_state="running", state="complete",
                              changed_at="2026-11-22T10:00:00Z", changed_by="jdoe")  # type: ignore[arg-type]
    await Publisher(nc.jetstream()).publish(Envelope.wrap(event, source="/test", actor="user:jdoe",
                                                          sourcesystem="mes", correlationid=batch))


@pytest.mark.requirement("URS-006", "P11-007", "P11-009")
async def test_a_workflow_survives_restarts_without_doing_anything_twice(nc: Client, engine: AsyncEngine,
                                                                        token: str) -> None:
    store = WorkflowStore(engine)
    first = Orchestrator(REGISTRY, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.05)
    await first.start()
    instance = await first.start_instance("test_release", token, {})
    await batch_completed(nc, token)
    assert await wait_for(lambda: _open_task(store))
    await first.stop()  # killed while waiting for a person

    signer = Signer(store, Publisher(nc.jetstream()))
    await signer.add_user("qa.mlee", "Morgan Lee", "qa", "correct horse battery")
    task = (await store.open_tasks())[0]
    with pytest.raises(SigningError, match="re-authentication failed"):
        await signer.sign(task["id"], "qa.mlee", "wrong password here", "approved")
    with pytest.raises(SigningError, match="not allowed"):
        await signer.sign(task["id"], "qa.mlee", "correct horse battery", "authored")
    signature = await signer.sign(task["id"], "qa.mlee", "correct horse battery", "approved")
    assert signature.record_hash and signature.signer_name == "Morgan Lee"

    second = Orchestrator(REGISTRY, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.05)
    await second.start()
    (release_cmd,) = await wait_for(lambda: commands_for(nc, token))
    await second.stop()
    third = Orchestrator(REGISTRY, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.05)
    await third.start()  # picks up where the second stopped: the release was issued, not answered
    await asyncio.sleep(0.5)
    assert len(await commands_for(nc, token)) == 1  # re-issued with the same id: JetStream kept one
    await reply_to(nc, release_cmd)
    hold = await wait_for(lambda: _second_command(nc, token))
    await reply_to(nc, hold)
    assert await wait_for(lambda: _status(store, instance, "completed"))
    await third.stop()
    history, _ = await store.history(instance)
    assert [h.step for h in history] == ["await batch complete", "assess", "qa approval", "release lot", "hold check"]


async def test_a_rejection_compensates_the_completed_steps(nc: Client, engine: AsyncEngine, token: str) -> None:
    store = WorkflowStore(engine)
    orchestrator = Orchestrator(REGISTRY, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.05)
    await orchestrator.start()
    signer = Signer(store, Publisher(nc.jetstream()))
    await signer.add_user("qa.mlee", "Morgan Lee", "qa", "correct horse battery")
    instance = await orchestrator.start_instance("test_release", token, {})
    await batch_completed(nc, token)
    task = await wait_for(lambda: _open_task(store))
    await signer.sign(task["id"], "qa.mlee", "correct horse battery", "approved")
    (release_cmd,) = await wait_for(lambda: commands_for(nc, token))
    await reply_to(nc, release_cmd)
    hold = await wait_for(lambda: _second_command(nc, token))
    await reply_to(nc, hold, ok=False)
    compensation = await wait_for(lambda: _nth_command(nc, token, 2))
    assert compensation["type"] == "io.gxplink.cmd.erp.set_lot_disposition.v1"
    assert compensation["data"]["disposition"] == "block"
    await reply_to(nc, compensation)
    assert await wait_for(lambda: _status(store, instance, "failed"))
    row = await store.instance(instance)
    assert row is not None and "compensated: block lot" in str(row["result"])
    await orchestrator.stop()


async def test_two_orchestrators_never_advance_one_instance_twice(nc: Client, engine: AsyncEngine,
                                                                 token: str) -> None:
    store = WorkflowStore(engine)
    workers = [Orchestrator(REGISTRY, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.02)
               for _ in range(2)]
    for worker in workers:
        await worker.start()
    instance = await workers[0].start_instance("test_release", token, {})
    await batch_completed(nc, token)
    await wait_for(lambda: _open_task(store))
    history, _ = await store.history(instance)
    assert len([h for h in history if h.step == "qa approval"]) == 1
    owners = {(await store.instance(instance) or {}).get("lease_owner")}
    assert owners <= {w.owner for w in workers}
    for worker in workers:
        await worker.stop()


async def _open_task(store: WorkflowStore) -> dict[str, Any] | None:
    tasks = await store.open_tasks()
    return tasks[0] if tasks else None


async def _second_command(nc: Client, token: str) -> dict[str, Any] | None:
    return await _nth_command(nc, token, 1)


async def _nth_command(nc: Client, token: str, n: int) -> dict[str, Any] | None:
    commands = await commands_for(nc, token)
    return commands[n] if len(commands) > n else None


async def _status(store: WorkflowStore, instance_id: str, status: str) -> bool:
    row = await store.instance(instance_id)
    return bool(row and row["status"] == status)


def parallel(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    batch = ctx.business_key
    replies = yield AllOf("hold and block", (
        SendCommand("hold", HoldBatch(batch_id=batch, reason="parallel branch one")),
        SendCommand("block", SetLotDisposition(lot_id=f"L-{batch}", disposition="block", reason="branch two")),
    ))
    return f"{len(replies)} branches"


PARALLEL = WorkflowRegistry([WorkflowDefinition("test_parallel", 1, with_compensation(parallel))])


async def test_parallel_branches_are_issued_together_and_joined(nc: Client, engine: AsyncEngine, token: str) -> None:
    store = WorkflowStore(engine)
    orchestrator = Orchestrator(PARALLEL, store, nc.jetstream(), Publisher(nc.jetstream()), poll_seconds=0.05)
    await orchestrator.start()
    try:
        instance = await orchestrator.start_instance("test_parallel", token, {})
        both = await wait_for(lambda: _nth_command(nc, token, 1))
        commands = await commands_for(nc, token)
        assert both is not None and len(commands) == 2 and commands[0]["id"] != commands[1]["id"]
        await reply_to(nc, commands[1])  # answers arrive in the other order
        await asyncio.sleep(0.3)
        assert (await store.instance(instance) or {})["status"] == "running"
        await reply_to(nc, commands[0])
        assert await wait_for(lambda: _status(store, instance, "completed"))
        assert (await store.instance(instance) or {})["result"] == "2 branches"
    finally:
        await orchestrator.stop()
