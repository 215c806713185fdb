"""Acks, redelivery, dead-lettering and dedupe, proven against the real server."""

import asyncio
import contextlib
import json
from typing import Any

import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.dead_letters import list_dead_letters
from messaging.errors import PermanentError, RetryableError
from messaging.poison import PoisonWatcher
from messaging.publisher import Publisher
from messaging.streams import EVENTS, ensure_streams

pytestmark = pytest.mark.integration


async def test_ensure_streams_is_idempotent(nc: Client) -> None:
    first = await ensure_streams(nc.jetstream())
    again = await ensure_streams(nc.jetstream())
    assert [s.config.name for s in first] == [s.config.name for s in again]


@pytest.mark.requirement("URS-004")
async def test_a_repeated_message_id_is_stored_once(nc: Client, token: str) -> None:
    publisher = Publisher(nc.jetstream())
    subject = f"gxp.evt.{token}.value_recorded"
    first = await publisher.publish_bytes(subject, b'{"n": 1}', {"Nats-Msg-Id": f"{token}-1"})
    again = await publisher.publish_bytes(subject, b'{"n": 1}', {"Nats-Msg-Id": f"{token}-1"})
    assert not first.duplicate and again.duplicate and again.seq == first.seq
    info = await nc.jetstream().stream_info(EVENTS.name, subjects_filter=subject)
    assert info.state.subjects == {subject: 1}


@pytest.mark.requirement("URS-004")
async def test_a_publish_without_message_id_is_refused(nc: Client, token: str) -> None:
    with pytest.raises(ValueError, match="Nats-Msg-Id"):
        await Publisher(nc.jetstream()).publish_bytes(f"gxp.evt.{token}.x", b"{}", {})


async def _consume(nc: Client, token: str, handler: Any, until: Any, max_deliver: int = 3) -> DurableConsumer:
    js = nc.jetstream()
    spec = ConsumerSpec(
        durable=f"test_{token}", stream=EVENTS.name, filter_subject=f"gxp.evt.{token}.>",
        max_deliver=max_deliver, ack_wait=5, backoff=(0.05,),
    )
    consumer = DurableConsumer(js, spec, handler, publisher=Publisher(js), origin=token, batch=10)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    for _ in range(200):
        await asyncio.sleep(0.05)
        if until(consumer):
            break
    stop.set()
    await task
    return consumer


async def test_retryable_failure_is_redelivered_then_acked(nc: Client, token: str) -> None:
    seen: list[int] = []

    async def flaky(msg: Msg) -> None:
        seen.append(msg.metadata.num_delivered)
        if msg.metadata.num_delivered < 2:
            raise RetryableError("LIMS is down")

    await Publisher(nc.jetstream()).publish_bytes(f"gxp.evt.{token}.a", b"{}", {"Nats-Msg-Id": f"{token}-a"})
    consumer = await _consume(nc, token, flaky, lambda c: c.handled == 1)
    assert seen == [1, 2] and consumer.dead_lettered == 0
    info = await nc.jetstream().consumer_info(EVENTS.name, f"test_{token}")
    assert info.num_ack_pending == 0 and info.num_pending == 0


@pytest.mark.requirement("URS-003")
async def test_poison_message_is_dead_lettered_after_max_deliver_with_the_reason(nc: Client, token: str) -> None:
    seen: list[int] = []

    async def broken(msg: Msg) -> None:
        seen.append(msg.metadata.num_delivered)
        raise KeyError("OBX-5")

    await Publisher(nc.jetstream()).publish_bytes(f"gxp.evt.{token}.b", b"poison", {"Nats-Msg-Id": f"{token}-b"})
    consumer = await _consume(nc, token, broken, lambda c: c.dead_lettered == 1)
    assert seen == [1, 2, 3]  # bounded: no hot loop
    letters = [d for d in await list_dead_letters(nc.jetstream()) if d.origin == token]
    assert len(letters) == 1
    assert "gave up after 3 deliveries" in letters[0].reason and "OBX-5" in letters[0].reason
    assert letters[0].raw() == b"poison" and letters[0].subject == f"gxp.evt.{token}.b"
    assert consumer.handled == 0


async def test_permanent_failure_is_dead_lettered_at_once(nc: Client, token: str) -> None:
    seen: list[int] = []

    async def invalid(msg: Msg) -> None:
        seen.append(msg.metadata.num_delivered)
        raise PermanentError("data.lot_id: String should have at least 1 character")

    body = json.dumps({"lot_id": ""}).encode()
    await Publisher(nc.jetstream()).publish_bytes(f"gxp.evt.{token}.c", body, {"Nats-Msg-Id": f"{token}-c"})
    await _consume(nc, token, invalid, lambda c: c.dead_lettered == 1)
    assert seen == [1]
    (letter,) = [d for d in await list_dead_letters(nc.jetstream()) if d.origin == token]
    assert letter.reason.startswith("data.lot_id") and letter.deliveries == 1


async def test_a_handler_that_hangs_is_cut_off_and_dead_lettered(nc: Client, token: str) -> None:
    js = nc.jetstream()
    spec = ConsumerSpec(durable=f"test_{token}", stream=EVENTS.name, filter_subject=f"gxp.evt.{token}.>",
                        max_deliver=2, ack_wait=0.5, backoff=(0.05,))
    seen: list[int] = []

    async def hangs(msg: Msg) -> None:
        seen.append(msg.metadata.num_delivered)
        await asyncio.Event().wait()

    await Publisher(js).publish_bytes(f"gxp.evt.{token}.h", b"hang", {"Nats-Msg-Id": f"{token}-h"})
    consumer = DurableConsumer(js, spec, hangs, publisher=Publisher(js), origin=token, batch=10)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    for _ in range(200):
        await asyncio.sleep(0.05)
        if consumer.dead_lettered:
            break
    stop.set()
    await task
    assert seen == [1, 2]
    (letter,) = [d for d in await list_dead_letters(js) if d.origin == token]
    assert "did not finish within the ack wait" in letter.reason and letter.raw() == b"hang"


async def test_a_message_that_kills_its_consumer_is_dead_lettered_from_the_advisory(nc: Client, token: str) -> None:
    """Each delivery 'crashes' the consumer (fetched, never acked nor failed); the server gives up and says so."""
    js = nc.jetstream()
    watcher = PoisonWatcher(nc, Publisher(js))
    await watcher.start()
    try:
        await Publisher(js).publish_bytes(f"gxp.evt.{token}.k", b"kills", {"Nats-Msg-Id": f"{token}-k"})
        spec = ConsumerSpec(durable=f"test_{token}", stream=EVENTS.name, filter_subject=f"gxp.evt.{token}.>",
                            max_deliver=2, ack_wait=0.3)
        sub = await js.pull_subscribe(spec.filter_subject, durable=spec.durable, stream=spec.stream,
                                      config=spec.config())
        deliveries = 0
        for _ in range(40):
            with contextlib.suppress(nats.errors.TimeoutError):
                deliveries += len(await sub.fetch(1, timeout=0.5))
            if watcher.dead_lettered:
                break
        assert deliveries == 2  # bounded by max_deliver, then the server stopped and advised
        letters = [d for d in await list_dead_letters(js) if d.subject == f"gxp.evt.{token}.k"]
        assert len(letters) == 1 and letters[0].raw() == b"kills" and letters[0].deliveries == 2
        assert f"consumer test_{token} gave up after 2 deliveries" in letters[0].reason
        await sub.unsubscribe()
    finally:
        await watcher.stop()


async def test_a_consumer_that_is_lost_is_bound_again_and_nothing_is_skipped(nc: Client, token: str) -> None:
    """A consumer created just before a server crash may be gone afterwards: the loop recreates it."""
    js = nc.jetstream()
    spec = ConsumerSpec(durable=f"test_{token}", stream=EVENTS.name, filter_subject=f"gxp.evt.{token}.>")
    seen: list[bytes] = []

    async def take(msg: Msg) -> None:
        seen.append(msg.data)

    consumer = DurableConsumer(js, spec, take, publisher=Publisher(js), origin=token, batch=10)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await Publisher(js).publish_bytes(f"gxp.evt.{token}.a", b"first", {"Nats-Msg-Id": f"{token}-first"})
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
        await js.delete_consumer(EVENTS.name, spec.durable)
        await Publisher(js).publish_bytes(f"gxp.evt.{token}.b", b"second", {"Nats-Msg-Id": f"{token}-second"})
        for _ in range(200):
            if b"second" in seen:
                break
            await asyncio.sleep(0.05)
        assert b"second" in seen and not task.done()
    finally:
        stop.set()
        await task
