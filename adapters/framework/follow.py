"""Following a legacy system's list read with a cursor: a change feed or a native audit trail.

Each record is taken (published and acknowledged by JetStream, dead-lettered, or deliberately
skipped) before the persisted cursor moves past it: after every page, and also when a page is cut
short by a failure, so the next poll starts right after the last record JetStream acknowledged.
Records at or before the cursor (systems deliver at least once; duplicates come back to back) are
dropped by their sequence number, and event ids derive from the record, so a record read twice
(a re-read page) is stored once.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from typing import Any, ClassVar, Protocol

from adapters.framework.metrics import AdapterMetrics
from messaging.errors import GxplinkError
from storage.cursors import CursorStore

log = logging.getLogger(__name__)


class Page(Protocol):
    """Records after a cursor, oldest first, and whether the system has more waiting."""

    @property
    def records(self) -> list[dict[str, Any]]: ...

    @property
    def has_more(self) -> bool: ...


class CursorFollower(abc.ABC):
    system: ClassVar[str]  # for log lines: "mes", "qms"
    what: ClassVar[str]  # for log lines: "change feed", "audit trail"
    seq: ClassVar[str] = "seq"  # the field holding the record's sequence number, e.g. changeSeq

    def __init__(self, cursors: CursorStore, cursor: str, initial: int, page_size: int,
                 metrics: AdapterMetrics) -> None:
        self.cursors, self.cursor, self.initial, self.page_size = cursors, cursor, initial, page_size
        self.metrics = metrics
        self.failing = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def fetch(self, after: int, limit: int) -> Page: ...

    @abc.abstractmethod
    async def take(self, record: dict[str, Any]) -> None:
        """Publish (or dead-letter, or skip) one record; raise when it could not be taken durably."""

    async def position(self) -> int:
        stored = await self.cursors.get(self.cursor)
        return int(stored) if stored is not None else self.initial

    async def poll_once(self) -> int:
        """Take every record after the cursor, page by page; returns how many were taken."""
        taken = 0
        while True:
            after = await self.position()
            page = await self.fetch(after, self.page_size)
            last = after
            try:
                for record in page.records:
                    if int(record[self.seq]) <= last:
                        continue  # a duplicate delivery, or already behind the cursor
                    await self.take(record)
                    last = int(record[self.seq])
                    taken += 1
            finally:
                if last > after:
                    await self.cursors.set(self.cursor, str(last))
            if not page.has_more or last == after:
                return taken

    async def run(self, every: float, stop: asyncio.Event) -> None:
        """Poll until `stop`; a failure is logged once per streak (a refused login or an outage would flood)."""
        while not stop.is_set():
            try:
                await self.poll_once()
                if self.failing:
                    self.metrics.reconnects.inc()
                    log.info("%s %s readable again", self.system, self.what)
                self.failing = False
            except GxplinkError as exc:  # down, slow, 5xx, Server fault, malformed, or refused: try again
                if not self.failing:
                    log.warning("%s %s not readable now (trying again every %s s): %s", self.system, self.what, every,
                                exc)
                self.failing = True
            except Exception:  # e.g. JetStream gone after the publisher's own retries
                if not self.failing:
                    log.exception("%s %s poll failed (trying again every %s s)", self.system, self.what, every)
                self.failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    def start(self, every: float) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.run(every, self._stop), name=f"{self.system} {self.what}")

    async def stop(self, grace: float = 2.0) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:  # stuck retrying a publish while NATS is gone: its cursor was not moved
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()
