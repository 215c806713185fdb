"""The QMS simulator: a QualityRecordService SOAP 1.1 web service (WSDL at `/qms?wsdl`).

It plays a validated quality management system of the TrackWise / Veeva QualityDocs generation:
deviations, investigations, CAPAs and change controls with enforced lifecycles, a change feed with
a cursor and its own audit trail, all over document/literal SOAP with HTTP basic auth.
"""

from __future__ import annotations

from typing import Any

from simulators.common.base import Action, SimContext, Simulator
from simulators.common.http import EmbeddedHttpServer
from simulators.qms.actions import qa_actions
from simulators.qms.app import build_wsgi
from simulators.qms.credentials import load_or_create
from simulators.qms.gateway import SoapGateway
from simulators.qms.store import QmsStore

PATH = "/qms"


class QmsSimulator(Simulator):
    system = "qms"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.credentials = load_or_create(ctx.data_dir)
        self.store = QmsStore(ctx.data_dir, ctx.clock, ctx.audit)
        self.wsgi = build_wsgi(self.store, ctx.faults)
        self.gateway = SoapGateway(self.wsgi, PATH, self.credentials, ctx.faults)
        self._http: EmbeddedHttpServer | None = None
        self._wsdl_built = False

    @property
    def address(self) -> str:
        """The service endpoint (soap:address in the WSDL)."""
        host = f"[{self.ctx.host}]" if ":" in self.ctx.host else self.ctx.host
        return f"http://{host}:{self.port}{PATH}"

    @property
    def url(self) -> str:
        return f"{self.address}?wsdl"

    async def listen(self) -> None:
        if self._http is not None:
            return
        self._http = EmbeddedHttpServer(self.gateway, self.ctx.host, self.port)
        self.port = await self._http.start()
        if not self._wsdl_built:  # once: spyne cannot rebuild a document; later listens reuse the same port
            # Built now, not from the first request's Host header, so soap:address is always the bound URL.
            self.wsgi.doc.wsdl11.build_interface_document(self.address)
            self._wsdl_built = True

    async def close(self) -> None:
        if self._http is not None:
            await self._http.stop()
            self._http = None
        self.gateway.inner.close()

    def endpoints(self) -> dict[str, Any]:
        auth = {"username": self.credentials.username, "password": self.credentials.password}
        return {self.system: self.url, f"{self.system}_auth": auth}

    def actions(self) -> dict[str, Action]:
        return qa_actions(self.store)
