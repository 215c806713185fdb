"""The shared runtime every gxplink command starts from: NATS, streams and the SQL store.

NATS comes from, in order: `GXPLINK_NATS_URL`; an embedded server that another gxplink process
already runs on the same data dir (so `gxplink dlq list` works beside `gxplink up`); or a new
embedded server that this process owns and supervises.

Secured (`--secure`, or a data dir secured before), the process connects as its own identity
(`admin` for the CLI, which alone manages streams) and opens one more connection per component it
hosts, each with that component's credentials, so the server enforces every component's grant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from gxplink.security import ADMIN, SecureSetup
from gxplink.settings import Settings
from messaging.auth import NatsUser, read_user
from messaging.connection import connect
from messaging.embedded import EmbeddedNats, running_server_url
from messaging.instances import instance_config
from messaging.publisher import Publisher
from messaging.streams import StreamPolicy, ensure_streams
from messaging.tls import client_context
from storage.engine import create_schema, default_url, make_engine

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, name: str = "gxplink", own_server: bool = True,
                 identity: str = ADMIN, components: Iterable[str] = ()) -> None:
        self.settings, self.name, self.own_server = settings, name, own_server
        self.identity, self.components = identity, tuple(components)
        self.security = SecureSetup.under(settings.data_dir)
        self.secure = settings.secure or self.security.initialised or settings.nats_creds is not None
        self.server: EmbeddedNats | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.nats_url = ""
        self._nc: Client | None = None
        self._clients: dict[str, Client] = {}
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

    def client_for(self, component: str) -> Client:
        """The connection `component` speaks on: its own when secured, else the shared one."""
        return self._clients.get(component, self.nc)

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
            extra = await asyncio.to_thread(self._server_config)
            self.server = EmbeddedNats(data_dir, sync=self.settings.jetstream_sync, extra_config=extra,
                                       server_name=f"gxplink-{self.settings.instance or 'plant'}")
            self.nats_url = await asyncio.to_thread(self.server.start)
            self._supervisor = asyncio.create_task(self.server.supervise(), name="nats-supervisor")
        self._nc = await self._connect(self.name, self.identity, self.settings.nats_creds)
        for component in self.components if self.secure else ():
            self._clients[component] = await self._connect(f"{self.name}-{component}", component, None)
        if self.identity == ADMIN or not self.secure:  # only the operator creates and changes streams
            await ensure_streams(self.js, self.stream_policy())
        self._engine = make_engine(self.settings.db_url or default_url(data_dir))
        await create_schema(self._engine)
        return self

    def _server_config(self) -> str:
        """The embedded server's extra config: per-component users when secured, the transfer link of an instance."""
        if self.settings.instance and self.secure:
            raise RuntimeError("--instance with --secure is not supported by the embedded server yet; "
                               "a secured sponsor-CDMO link runs on deploy/leafnode/")
        if self.settings.instance:
            return instance_config(self.settings.instance, self.settings.data_dir, self.settings.transfer_link)
        return self.security.prepare() if self.secure else ""

    async def _connect(self, name: str, identity: str, creds_file: Path | None) -> Client:
        if not self.secure:
            return await connect(self.nats_url, name)
        user: NatsUser = read_user(creds_file) if creds_file else self.security.identity(identity)
        return await connect(self.nats_url, name, identity=user, tls=self._tls_context(),
                             tls_handshake_first=self.server is not None or self._embedded_url)

    def _tls_context(self) -> ssl.SSLContext | None:
        ca = self.settings.nats_ca or (self.security.tls.ca if self.security.tls.ca.exists() else None)
        return client_context(ca) if ca is not None else None

    @property
    def _embedded_url(self) -> bool:
        """Attached to the embedded server of another gxplink process (TLS handshake first, like ours)."""
        return not self.settings.nats_url

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
        for client in [*self._clients.values(), *([self._nc] if self._nc is not None else [])]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.drain(), 5)
            with contextlib.suppress(Exception):
                await client.close()
        self._clients.clear()
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
