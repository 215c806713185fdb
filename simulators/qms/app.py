"""The spyne application: SOAP 1.1 document/literal with lxml schema validation of every request.

Services reach the store, the fault switches and the authenticated user through spyne's
user-defined context (`ctx.udc`), set when a call starts, so the service classes hold no globals.
"""

from __future__ import annotations

import logging
from typing import Any

from spyne import Application, Fault
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from simulators.common.faults import Faults
from simulators.qms.context import CallContext
from simulators.qms.credentials import basic_credentials
from simulators.qms.schema import TNS
from simulators.qms.service_capa import CapaService
from simulators.qms.service_common import SERVICE
from simulators.qms.service_deviation import DeviationService
from simulators.qms.service_feed import FeedService
from simulators.qms.store import QmsStore
from simulators.qms.workflow import QmsError

# Client faults and unparsable requests are the caller's mistake, answered in the SOAP body; spyne
# would also log each at ERROR (with a traceback), which drowns the simulator's console.
for _name in ("spyne.application.client", "spyne.protocol.soap.soap11.invalid", "spyne.protocol.xml.invalid"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class QmsApplication(Application):  # type: ignore[misc]
    """Answers the QMS's own refusals as SOAP Client faults whose faultstring names the rule."""

    def call_wrapper(self, ctx: Any) -> Any:
        try:
            return super().call_wrapper(ctx)
        except QmsError as exc:
            raise Fault(exc.faultcode, str(exc)) from exc


def build_wsgi(store: QmsStore, faults: Faults) -> WsgiApplication:
    app = QmsApplication([DeviationService, CapaService, FeedService], tns=TNS, name=SERVICE,
                         in_protocol=Soap11(validator="lxml"), out_protocol=Soap11())

    def on_call(ctx: Any) -> None:
        credentials = basic_credentials(ctx.transport.req_env.get("HTTP_AUTHORIZATION"))
        ctx.udc = CallContext(store, faults, credentials[0] if credentials else "anonymous")

    app.event_manager.add_listener("method_call", on_call)
    return WsgiApplication(app)
