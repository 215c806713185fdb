"""The MES simulator: the REST API on its own port, state and credentials under the data dir."""

from __future__ import annotations

from typing import Any, ClassVar

from simulators.common.base import Action, SimContext, Simulator
from simulators.common.http import EmbeddedHttpServer
from simulators.mes.actions import scenario_actions
from simulators.mes.app import create_app
from simulators.mes.auth import ApiCredentials
from simulators.mes.history import seed_history
from simulators.mes.operator import Operator
from simulators.mes.store import MesStore


class MesSimulator(Simulator):
    system: ClassVar[str] = "mes"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.credentials = ApiCredentials.load_or_create(ctx.data_dir / "api-credentials.json")
        self.store = MesStore(ctx.data_dir, ctx.clock, ctx.audit, self.credentials.username)
        self.operator = Operator(self.store, ctx.seed)
        if self.store.fresh:
            seed_history(self.store, ctx.seed)
        self.app = create_app(self.store, self.credentials, ctx.faults)
        self._server: EmbeddedHttpServer | None = None

    @property
    def url(self) -> str:
        host = f"[{self.ctx.host}]" if ":" in self.ctx.host else self.ctx.host
        return f"http://{host}:{self.port}"

    async def listen(self) -> None:
        if self._server is not None:
            return
        server = EmbeddedHttpServer(self.app, self.ctx.host, self.port)
        self.port = await server.start()
        self._server = server

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    def endpoints(self) -> dict[str, Any]:
        return {self.system: self.url,
                f"{self.system}_auth": {"username": self.credentials.username, "password": self.credentials.password}}

    def actions(self) -> dict[str, Action]:
        return scenario_actions(self.store, self.operator)
