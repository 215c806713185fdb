"""ErpSimulator: the SAP S/4HANA-like ERP on an embedded HTTP server.

`endpoints()` publishes the base URL and the generated API credentials; `down` stops the listener
(connection refused) and brings it back on the same port with the same persisted state.
"""

from __future__ import annotations

from typing import Any, ClassVar

from simulators.common.base import Action, SimContext, Simulator
from simulators.common.http import EmbeddedHttpServer
from simulators.erp.actions import erp_actions
from simulators.erp.app import build_app
from simulators.erp.auth import load_or_create
from simulators.erp.store import ErpStore


class ErpSimulator(Simulator):
    system: ClassVar[str] = "erp"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.credentials = load_or_create(ctx.data_dir)
        self.store = ErpStore(ctx)
        self.app = build_app(self.store, ctx.faults, self.credentials)
        self._http: EmbeddedHttpServer | None = None

    @property
    def url(self) -> str:
        host = f"[{self.ctx.host}]" if ":" in self.ctx.host else self.ctx.host
        return f"http://{host}:{self.port}"

    async def listen(self) -> None:
        if self._http is not None:
            return
        http = EmbeddedHttpServer(self.app, self.ctx.host, self.port)
        self.port = await http.start()
        self._http = http

    async def close(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.stop()

    def endpoints(self) -> dict[str, Any]:
        return {self.system: self.url,
                "erp_auth": {"username": self.credentials.username, "password": self.credentials.password,
                             "token": self.credentials.token}}

    def actions(self) -> dict[str, Action]:
        return erp_actions(self.store)
