"""The hand-off from asyncua's notification delivery to the translator: bounded, and it never blocks.

Back-pressure choice: the reader is never blocked (a blocked OPC UA publish loop would let the
server's queues overflow instead, silently). When the inbox is full the notification is counted
(`gxplink_deltav_notifications_dropped_total`) and the inbox enters *gap mode*: every further live
notification is counted and dropped until the translator has worked off what it holds; then it
resyncs: HistoryRead backfills each PV from its last published sample, the phases are read and
ConditionRefresh re-sends the active alarms. Dropping everything in between (not only what does
not fit) keeps the published series ordered, so the backfill starts exactly where it stopped.

Notifications are tagged with the session generation: a late notification or loss report of a
session already replaced is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from prometheus_client import Counter

from adapters.deltav.model import EventNote, Sample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resync:
    """Backfill and re-read what live notifications may have missed (after a (re)connect or a gap)."""

    reason: str


Item = Sample | EventNote | Resync


class Inbox:
    def __init__(self, size: int, dropped: Counter) -> None:
        self.size, self.dropped = size, dropped
        self.generation = 0
        self.gap = False
        self.loss: asyncio.Event = asyncio.Event()
        self.loss_reason = ""
        self._queue: asyncio.Queue[Item] = asyncio.Queue(size)

    def reset(self) -> None:
        """A fresh inbox for a (re)started adapter."""
        self._queue = asyncio.Queue(self.size)
        self.gap, self.loss, self.loss_reason = False, asyncio.Event(), ""

    def new_generation(self) -> Sink:
        self.generation += 1
        self.loss = asyncio.Event()
        return Sink(self, self.generation)

    def put(self, item: Item) -> None:
        if self.gap and not isinstance(item, Resync):
            self.dropped.inc()
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped.inc()
            if not self.gap:
                log.warning("deltav: the inbox is full (%d); dropping live notifications until the backlog is "
                            "worked off, then backfilling from history", self.size)
            self.gap = True

    async def get(self) -> Item:
        if self.gap and self._queue.empty():
            self.gap = False  # the backlog is worked off: recover what was dropped
            return Resync("inbox overflow")
        return await self._queue.get()

    def qsize(self) -> int:
        return self._queue.qsize()


class Sink:
    """The NotificationSink of one session generation."""

    def __init__(self, inbox: Inbox, generation: int) -> None:
        self.inbox, self.generation = inbox, generation

    def _current(self) -> bool:
        return self.inbox.generation == self.generation

    def data_change(self, sample: Sample) -> None:
        if self._current():
            self.inbox.put(sample)

    def event(self, note: EventNote) -> None:
        if self._current():
            self.inbox.put(note)

    def lost(self, reason: str) -> None:
        if self._current() and not self.inbox.loss.is_set():
            self.inbox.loss_reason = reason
            self.inbox.loss.set()
