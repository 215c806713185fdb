"""The shared runtime every gxplink command starts from: NATS, streams and the SQL store.

NATS comes from, in order: `GXPLINK_NATS_URL`; an embedded server that another gxplink process
already runs on the same data dir (so `gxplink dlq list` works beside `gxplink up`); or a new
embedded server that this process owns and supervises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from gxplink.settings import Settings
from messaging.connection import connect
from messaging.embedded import EmbeddedNats, running_server_url
from messaging.publisher import Publisher
from messaging.streams import StreamPolicy, ensure_streams
from storage.engine import create_schema, default_url, make_engine

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, name: str = "gxplink", own_server: bool = True) -> None:
        self.settings, self.name, self.own_server = settings, name, own_server
        self.server: EmbeddedNats | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.nats_url = ""
        self._nc: Client | None = None
        self._engine: AsyncEngine | None = None

    @property
    def nc(self) -> Client:
        assert self._nc is not None, "runtime not started"
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        return self.nc.jetstream()

    @property
    def engine(self) -> AsyncEngine:
        assert self._engine is not None, "runtime not started"
        return self._engine

    @property
    def publisher(self) -> Publisher:
        return Publisher(self.js)

    def stream_policy(self) -> StreamPolicy:
        s = self.settings
        return StreamPolicy(s.stream_max_age_days, s.duplicate_window_seconds, s.stream_replicas)

    async def start(self) -> Runtime:
        data_dir = self.settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.nats_url = self.settings.nats_url or running_server_url(data_dir) or ""
        if not self.nats_url:
            if not self.own_server:
                raise RuntimeError(f"no gxplink NATS server runs on {data_dir}; start `gxplink up` first")
            self.server = EmbeddedNats(data_dir, sync=self.settings.jetstream_sync)
            self.nats_url = await asyncio.to_thread(self.server.start)
            self._supervisor = asyncio.create_task(self.server.supervise(), name="nats-supervisor")
        self._nc = await connect(self.nats_url, self.name)
        await ensure_streams(self.js, self.stream_policy())
        self._engine = make_engine(self.settings.db_url or default_url(data_dir))
        await create_schema(self._engine)
        return self

    def begin_shutdown(self) -> None:
        """First step of any shutdown: a nats-server stopped by the same signal must not be restarted."""
        if self.server is not None:
            self.server.halt_supervision()

    async def stop(self) -> None:
        self.begin_shutdown()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.drain(), 5)
            with contextlib.suppress(Exception):
                await self._nc.close()
        if self._engine is not None:
            await self._engine.dispose()
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)

    async def __aenter__(self) -> Runtime:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
