"""The LIMS's outbound interface: a persisted FIFO of ORU^R01 messages delivered over MLLP.

A message stays `pending` until the receiver answers with an ACK whose MSA-2 is its MSH-10: AA/CA
delivers it, AE/AR (CE/CR) rejects it (the content will not get better by resending). No ACK in
`ack_timeout_seconds`, a closed connection or connection refused count as a failed attempt: the same
message (same MSH-10) is resent after `retry_backoff_seconds` * 2^(attempt-1), at most `max_retries`
times, then marked `failed`. The queue lives in the store, so a restart resends what was pending.
Faults: latency delays each send; duplicate sends the frame twice; malformed sends a broken frame
(a NAK or silence then counts as a failed attempt, and the retry is well-formed unless drawn again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from simulators.common.base import SimContext
from simulators.lims import mllp
from simulators.lims.hl7v2 import parse
from simulators.lims.malformed import garble
from simulators.lims.store import LimsStore

MAX_BACKOFF = 60.0
KEEP_FINISHED = 500  # delivered/rejected/failed messages kept for inspection; pending ones are never dropped
log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, store: LimsStore, ctx: SimContext) -> None:
        self.store, self.ctx = store, ctx
        self.wake = asyncio.Event()
        self._not_before: dict[str, float] = {}  # control id -> loop time of the next attempt (not persisted)

    def enqueue(self, control_id: str, order_id: str, payload: str) -> None:
        finished = [m for m in self.store.outbox if m["status"] != "pending"]
        for stale in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            self.store.outbox.remove(stale)
        self.store.outbox.append({"control_id": control_id, "order_id": order_id, "type": "ORU^R01",
                                  "status": "pending", "attempts": 0, "last_error": None, "payload": payload,
                                  "queued_at": self.ctx.clock.now().isoformat()})
        self.store.save()
        self.wake.set()

    def retry_now(self) -> None:
        """Forget backoff timers (a new receiver or new settings deserve an immediate attempt)."""
        self._not_before.clear()
        self.wake.set()

    def pending(self) -> list[dict[str, Any]]:
        return [m for m in self.store.outbox if m["status"] == "pending"]

    async def run(self) -> None:
        """Deliver forever; one connection per burst of pending messages."""
        while True:
            self.wake.clear()
            url = self.store.receiver.get("url")
            if self.pending() and url and not self.ctx.faults.config.down:
                try:
                    await self._drain(url)
                except Exception:  # the interface must keep running whatever one delivery did
                    log.exception("LIMS outbound delivery failed unexpectedly")
                    await asyncio.sleep(1.0)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), 0.5)

    async def _drain(self, url: str) -> None:
        loop = asyncio.get_running_loop()
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while (todo := self.pending()) and not self.ctx.faults.config.down:
                if self.store.receiver.get("url") != url:
                    break  # reconfigured: run() starts over with the new receiver
                message = todo[0]
                wait = self._not_before.get(message["control_id"], 0.0) - loop.time()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), wait)  # a set_receiver/configure cuts it short
                    self.wake.clear()
                    if self._not_before.get(message["control_id"], 0.0) > loop.time() + 0.001:
                        continue
                await self.ctx.faults.delay()
                message["attempts"] += 1
                try:
                    if conn is None:
                        target = urlsplit(url)
                        conn = await asyncio.wait_for(asyncio.open_connection(target.hostname, target.port), 5)
                    outcome = await self._attempt(conn, message)
                except (OSError, TimeoutError, mllp.FrameTooLarge) as exc:
                    outcome = f"receiver unreachable or garbled: {type(exc).__name__}: {exc}"
                if outcome is not None:
                    await self._close(conn)
                    conn = None
                    self._failed(message, outcome, loop.time())
        finally:
            await self._close(conn)

    async def _attempt(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], message: dict[str, Any]) \
            -> str | None:
        """None when the receiver answered (delivered or rejected); else why the attempt failed."""
        reader, writer = conn
        payload = message["payload"].encode()
        broken = self.ctx.faults.malformed()
        wire = garble(payload, self.ctx.faults.random.randrange(2)) if broken else mllp.wrap(payload)
        copies = 2 if self.ctx.faults.duplicate() else 1
        for _ in range(copies):
            writer.write(wire)
        await writer.drain()
        timeout = float(self.store.settings["ack_timeout_seconds"])
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            frame = await mllp.read_frame(reader, left)
            if frame is None:
                return "receiver closed the connection without an ACK"
            ack = parse(frame.text()).first("MSA")
            if ack is None or ack.get(2) != message["control_id"]:
                continue  # an ACK for an earlier copy, or noise: keep waiting for ours
            if broken and ack.get(1) not in ("AA", "CA"):
                return f"receiver refused a malformed frame ({ack.get(1)})"
            self._answered(message, ack.get(1), ack.get(3))
            return None
        return f"no ACK within {timeout:g} s"

    def _answered(self, message: dict[str, Any], code: str, text: str) -> None:
        status = "delivered" if code in ("AA", "CA") else "rejected"
        message.update(status=status, ack=code, last_error=None if status == "delivered" else f"{code} {text}")
        self._audit(message, "pending", status)

    def _failed(self, message: dict[str, Any], reason: str, now: float) -> None:
        message["last_error"] = reason
        if message["attempts"] > int(self.store.settings["max_retries"]):
            message["status"] = "failed"
            self._audit(message, "pending", "failed")
        else:
            backoff = float(self.store.settings["retry_backoff_seconds"]) * 2 ** (message["attempts"] - 1)
            self._not_before[message["control_id"]] = now + min(backoff, MAX_BACKOFF)
            self.store.save()

    def _audit(self, message: dict[str, Any], old: str, new: str) -> None:
        self.store.save()
        self.ctx.audit.record("system", "deliver", "outbound_message", message["control_id"],
                              {"status": (old, new)}, reason=message.get("last_error"))

    @staticmethod
    async def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        if conn is not None:
            conn[1].close()
            with contextlib.suppress(Exception):
                await conn[1].wait_closed()
