"""The session supervisor: connect, browse, subscribe, watch, and start over with backoff.

Subscriptions that die silently after a server restart are the failure other OPC UA tools show;
here a session counts as lost when the transport or asyncua's keep-alive probe fails, when the
subscription reports a Bad status, or when it is *stale*: no publish response (data or keep-alive)
for keep-alive period x margin. Then the session is dropped, a new one is opened with exponential
backoff (a restarted server has forgotten the old one), the plant is browsed again, the
subscriptions are re-created and a Resync is queued, so the translator backfills the gap with
HistoryRead before it takes the new live values.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.connection import Connection, Connector
from adapters.deltav.errors import BadStatus
from adapters.deltav.inbox import Inbox, Resync
from adapters.deltav.model import Plant
from adapters.framework.metrics import AdapterMetrics
from messaging.errors import RetryableError

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self, connector: Connector, inbox: Inbox, config: DeltaVAdapterConfig,
                 metrics: AdapterMetrics) -> None:
        self.connector, self.inbox, self.config, self.metrics = connector, inbox, config, metrics
        self.connection: Connection | None = None
        self.plant: Plant | None = None  # the live session's
        self.latest_plant: Plant | None = None  # kept after a loss: queued notifications still need it
        self.ready = asyncio.Event()
        self.down_since: float | None = time.monotonic()
        self.last_problem = "not connected yet"
        self.stopping = False  # set while the adapter stops: a command in hand does not wait for a session
        self._connected_before = False

    async def session(self, wait: float) -> tuple[Connection, Plant]:
        """The live session, waiting up to `wait` seconds for one; RetryableError if there is none."""
        if not self.ready.is_set() and not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), wait)
        connection, plant = self.connection, self.plant
        if connection is None or plant is None:
            raise RetryableError(f"no session with DeltaV at {self.connector.url} ({self.last_problem})")
        return connection, plant

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.config.reconnect_initial_seconds
        while not stop.is_set():
            try:
                await self._connect()
                delay = self.config.reconnect_initial_seconds
                self.last_problem = await self._watch(stop)
            except (RetryableError, BadStatus, OSError, TimeoutError) as exc:
                self.last_problem = str(exc) or type(exc).__name__
            except Exception as exc:  # a bug must not end the adapter's only link to the DCS
                log.exception("deltav: session supervisor failed")
                self.last_problem = f"{type(exc).__name__}: {exc}"
            finally:
                await self._drop()
            if stop.is_set():
                return
            log.warning("deltav: %s: %s; reconnecting in %.1fs", self.connector.url, self.last_problem, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, self.config.reconnect_max_seconds)

    async def _connect(self) -> None:
        connection = await self.connector.connect()
        self.connection = connection  # closed by _drop whatever happens next
        plant = await connection.browse()
        sink = self.inbox.new_generation()
        # queued before the first live notification of the session: the backfill must run before any of them
        # moves a watermark past the gap (the translator waits for the session to be ready)
        self.inbox.put(Resync("reconnected" if self._connected_before else "connected"))
        await connection.subscribe(plant, sink)
        self.plant = self.latest_plant = plant
        self._subscribed_at = time.monotonic()
        if self._connected_before:
            self.metrics.reconnects.inc()
        self._connected_before, self.down_since = True, None
        self.ready.set()
        log.info("deltav: subscribed to %d process values of %d units at %s", len(plant.pvs), len(plant.units),
                 self.connector.url)

    async def _watch(self, stop: asyncio.Event) -> str:
        """Returns why the session is over (or 'stopping')."""
        assert self.connection is not None
        c = self.config
        stale_after = c.keepalive_seconds * c.stale_margin + c.publishing_interval_ms / 1000
        loss = self.inbox.loss
        while not stop.is_set():
            if loss.is_set():
                return self.inbox.loss_reason or "session lost"
            silent = self.connection.seconds_since_publish()
            silent = time.monotonic() - self._subscribed_at if silent is None else silent
            if silent > stale_after:
                return f"subscription stale: no publish response for {silent:.1f}s"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, loss), self.config.watchdog_seconds)
        return "stopping"

    async def _drop(self) -> None:
        self.ready.clear()
        if self.down_since is None:
            self.down_since = time.monotonic()
        self.inbox.new_generation()  # whatever the old session still delivers is ignored
        connection, self.connection, self.plant = self.connection, None, None
        if connection is not None:
            await connection.close()


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
