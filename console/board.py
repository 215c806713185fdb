"""Live batch status across the five systems: started from the audit store, kept current from NATS.

Each batch (the correlation id every message about it carries) gets, per system, the last thing
that happened there. Browsers follow it over server-sent events: `subscribe()` hands out a queue
that receives each changed row.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model import subjects
from orchestrator.audit import query

log = logging.getLogger(__name__)
COLUMNS = ("mes", "lims", "qms", "erp", "deltav", "gxplink")
MAX_BATCHES = 50
QUEUE = 256


@dataclass(frozen=True)
class Cell:
    what: str  # event or command name, e.g. "lot_released"
    kind: str  # evt, cmd or audit
    time: str


def _label(name: str | None) -> str:
    """`io.gxplink.evt.mes.batch_started.v1` -> `batch_started` (an action name stays as it is)."""
    parts = [p for p in (name or "").split(".") if p and not re.fullmatch(r"v\d+", p)]
    return parts[-1] if parts else "?"


class Board:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.rows: OrderedDict[str, dict[str, Cell]] = OrderedDict()  # most recently changed last
        self._listeners: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._subs: list[Subscription] = []

    async def load(self) -> None:
        """The last state of the most recent batches, from the audit store (oldest first, so the newest win)."""
        for row in reversed(await query.recent(self.engine)):
            system = row["target_system"] if row["kind"] == "command" else row["source_system"]
            kind = {"command": "cmd", "event": "evt"}.get(row["kind"], "audit")
            self._set(row["correlation_id"], system, Cell(_label(row["message_type"] or row["action"]), kind,
                                                          row["source_time"]))

    async def start(self, nc: Client) -> None:
        await self.load()
        self._subs = [await nc.subscribe(subjects.ALL_EVENTS, cb=self._on_message),
                      await nc.subscribe(subjects.ALL_COMMANDS, cb=self._on_message)]

    async def stop(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs = []
        for queue in list(self._listeners):  # ends each open event stream, even one that stopped reading
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    async def _on_message(self, msg: Msg) -> None:
        try:
            envelope = json.loads(msg.data)
            batch = envelope.get("correlationid")
            _, kind, system, name = msg.subject.split(".", 3)
        except (ValueError, AttributeError):
            return  # not an envelope: the audit writer dead-letters it; nothing to show
        if isinstance(batch, str) and batch:
            self._set(batch, system, Cell(name, kind, str(envelope.get("time", ""))), announce=True)

    def _set(self, batch: str, system: str, cell: Cell, announce: bool = False) -> None:
        if system not in COLUMNS:
            return
        row = self.rows.pop(batch, {})
        row[system] = cell
        self.rows[batch] = row
        while len(self.rows) > MAX_BATCHES:
            self.rows.popitem(last=False)
        if announce:
            update = self.row(batch)
            for queue in list(self._listeners):
                with contextlib.suppress(asyncio.QueueFull):  # a stalled browser misses updates, not the board
                    queue.put_nowait(update)

    def row(self, batch: str) -> dict[str, Any]:
        cells = self.rows.get(batch, {})
        return {"batch": batch, "cells": {s: asdict(c) for s, c in cells.items()}}

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.row(batch) for batch in reversed(self.rows)]

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._listeners.discard(queue)
