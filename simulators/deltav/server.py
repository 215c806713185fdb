"""DeltaVSimulator: the OPC UA server a plant's DeltaV exposes, built on asyncua.

One server, two endpoints on the same port: SecurityPolicy None for anonymous browsing and
reading, and Basic256Sha256 SignAndEncrypt for user name + password sessions. `down` closes the
listening socket (and live connections) but keeps the controllers running, as when the DeltaV
OPC UA server service stops on the application station while the controllers carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlparse

from asyncua import ua
from asyncua.server.server import Server

from simulators.common.base import Action, SimContext, Simulator
from simulators.deltav.actions import build_actions
from simulators.deltav.address_space import HISTORY_DEPTH, PlantBuilder
from simulators.deltav.batch import BatchControl
from simulators.deltav.events import EventSink
from simulators.deltav.jobs import JobOrderReceiver
from simulators.deltav.journal import Journal
from simulators.deltav.methods import DeltaVHandlers
from simulators.deltav.nodes import NodeBuilder
from simulators.deltav.runtime import ProcessRuntime
from simulators.deltav.security import APPLICATION_URI, DeltaVUserManager, ensure_certificate, ensure_users
from simulators.deltav.session import DeltaVInternalServer, SessionHooks
from simulators.deltav.state import DeltaVState

NAMESPACE_URI = "urn:gxplink-sim:emerson:deltav:plant"
PATH = "/gxplink/deltav"


class DeltaVSimulator(Simulator):
    system = "deltav"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.users = ensure_users(ctx.data_dir)
        self._server: Server | None = None
        self._listening = False
        self._actions: dict[str, Action] = {}

    @property
    def url(self) -> str:
        return f"opc.tcp://{self.ctx.host}:{self.port}{PATH}"

    def endpoints(self) -> dict[str, Any]:
        account = self.users["service_account"]
        return {self.system: self.url, f"{self.system}_auth": {
            "username": account, "password": self.users["users"][account],
            "security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt"}}

    def actions(self) -> dict[str, Action]:
        return self._actions

    async def start(self) -> None:
        ctx = self.ctx
        iserver = DeltaVInternalServer(user_manager=DeltaVUserManager(self.users["users"]))
        iserver.bind_condition_methods = True  # ConditionRefresh for alarm clients
        server = self._server = Server(iserver=iserver)
        await server.init()
        await self._configure(server)
        nodes = NodeBuilder(server, await server.register_namespace(NAMESPACE_URI))
        sink, state = EventSink(server, ctx.clock), DeltaVState(ctx.data_dir)
        journal = Journal(ctx.audit, nodes, sink, ctx.clock)
        self.control = BatchControl(state, nodes, sink, journal, ctx.clock)
        self.runtime = ProcessRuntime(ctx, state, nodes, sink, journal)
        plant = PlantBuilder(nodes, state, DeltaVHandlers(self.control, journal, sink))
        event_types = await plant.build()
        journal.event_type, self.control.event_type = event_types.audit_entry, event_types.phase_state
        await JobOrderReceiver(server, nodes, self.control, sink).build(nodes.id("DeltaV"))
        for pv in plant.historized:
            await server.historize_node_data_change(pv, count=HISTORY_DEPTH)
        iserver.hooks = SessionHooks(ctx.faults, self.runtime.write_setpoint, lambda user: journal.record_soon(
            user, "login_failed", "session", self.url, "user name or password rejected"), nodes.ns)
        await journal.sync_last_seq()
        self._actions = build_actions(self.control, self.runtime)
        await self.listen()
        self.runtime.start()
        self.control.resume()

    async def _configure(self, server: Server) -> None:
        cert, key = ensure_certificate(self.ctx.data_dir)
        server.set_endpoint(self.url)
        server.set_server_name("DeltaV OPC UA Server (gxplink simulator)")
        await server.set_application_uri(APPLICATION_URI)
        await server.set_build_info("urn:gxplink-sim:emerson:deltav", "Emerson (simulated)", "DeltaV OPC UA Server",
                                    "14.3.1", "gxplink-sim", self.ctx.clock.now())
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity,
                                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))

    async def listen(self) -> None:
        server = self._server
        if server is None or self._listening:
            return
        if server.bserver is None:
            await server.start()
            assert server.bserver is not None
            self.port = server.bserver.port
            self._advertise(server)
        else:
            await server.bserver.start()
        self._listening = True

    def _advertise(self, server: Server) -> None:
        """Endpoints name the bound port, offer anonymous only unsecured and user names only encrypted."""
        server.endpoint = urlparse(self.url)
        for endpoint in server.iserver.endpoints:
            endpoint.EndpointUrl = self.url
            endpoint.Server.DiscoveryUrls = [self.url]
            wanted = ua.UserTokenType.Anonymous if endpoint.SecurityMode == ua.MessageSecurityMode.None_ else \
                ua.UserTokenType.UserName
            endpoint.UserIdentityTokens = [t for t in endpoint.UserIdentityTokens if t.TokenType == wanted]

    async def close(self) -> None:
        if self._server is not None and self._server.bserver is not None and self._listening:
            await self._server.bserver.stop()
        self._listening = False

    async def stop(self) -> None:
        if self._server is None:
            return
        await self.runtime.stop()
        await self.control.stop()
        await self.close()
        iserver = self._server.iserver
        if iserver.time_task:  # it sleeps a second between clock updates; stopping need not wait for that
            iserver.time_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await iserver.time_task
            iserver.time_task = None
        await iserver.stop()
        self._server = None
