"""asyncua's session, extended where DeltaV differs from a generic server.

- Identity: anonymous only on the unsecured endpoint, user names only on the encrypted one; the
  session's user is handed to method callbacks (a context variable) and to set point writes, so
  the audit trail knows who did what.
- Set point writes are checked against their limits (Bad_OutOfRange) instead of stored blindly.
- Faults: latency delays every answer (and publish responses), an error fault answers reads,
  writes, calls and history reads on DeltaV nodes with Bad_InternalError, and a duplicate fault
  sends the notifications of a publish response twice (same value, same timestamps, same EventId).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.internal_server import InternalServer
from asyncua.server.internal_session import InternalSession

from simulators.common.faults import Faults
from simulators.deltav.security import user_label
from simulators.deltav.uatypes import AttributeIds, StatusCodes, status

current_user: ContextVar[str] = ContextVar("deltav_user", default="anonymous")
BAD_INTERNAL = StatusCodes.BadInternalError

SetpointWriter = Callable[[ua.NodeId, ua.DataValue, str], Awaitable["ua.StatusCode | None"]]


@dataclass
class SessionHooks:
    faults: Faults
    write_setpoint: SetpointWriter
    login_failed: Callable[[str], None]
    namespace: int = field(default=-1)


class DeltaVInternalServer(InternalServer):
    hooks: SessionHooks

    def create_session(self, name: str, user: User = User(role=UserRole.Anonymous),  # noqa: B008
                       external: bool = False) -> InternalSession:
        return DeltaVSession(self, self.aspace, self.subscription_service, name, user=user, external=external)


class DeltaVSession(InternalSession):
    iserver: DeltaVInternalServer

    @property
    def hooks(self) -> SessionHooks:
        return self.iserver.hooks

    def _ours(self, nodeids: list[ua.NodeId]) -> bool:
        return any(n.NamespaceIndex == self.hooks.namespace for n in nodeids)

    def activate_session(self, params: ua.ActivateSessionParameters,
                         peer_certificate: bytes | None) -> ua.ActivateSessionResult:
        token = params.UserIdentityToken
        is_user_name = isinstance(token, ua.UserNameIdentityToken)
        if is_user_name != bool(peer_certificate):  # a None-policy channel has an empty peer certificate
            # anonymous on a secured channel, or a password over an unsecured one
            raise ServiceError(StatusCodes.BadIdentityTokenRejected)
        try:
            return super().activate_session(params, peer_certificate)
        except ServiceError as exc:
            if is_user_name and exc.code == StatusCodes.BadUserAccessDenied:
                self.hooks.login_failed(str(token.UserName))
            raise

    async def read(self, params: ua.ReadParameters) -> list[ua.DataValue]:
        await self.hooks.faults.delay()
        results = await super().read(params)
        if self._ours([r.NodeId for r in params.NodesToRead]) and self.hooks.faults.error():
            return [ua.DataValue(StatusCode=status(BAD_INTERNAL)) if r.NodeId.NamespaceIndex ==
                    self.hooks.namespace else res for r, res in zip(params.NodesToRead, results, strict=True)]
        return results

    async def browse(self, params: ua.BrowseParameters) -> list[ua.BrowseResult]:
        await self.hooks.faults.delay()
        return await super().browse(params)

    async def write(self, params: ua.WriteParameters) -> list[ua.StatusCode]:
        await self.hooks.faults.delay()
        items = params.NodesToWrite
        if self._ours([w.NodeId for w in items]) and self.hooks.faults.error():
            return [status(BAD_INTERNAL) for _ in items]
        results = []
        for item in items:
            code = None
            if item.NodeId.NamespaceIndex == self.hooks.namespace:
                code = status(StatusCodes.BadNotWritable)
                if item.AttributeId == AttributeIds.Value:
                    code = await self.hooks.write_setpoint(item.NodeId, item.Value, user_label(self.user)) or code
            results.append(code or (await super().write(ua.WriteParameters(NodesToWrite=[item])))[0])
        return results

    async def call(self, params: list[ua.CallMethodRequest]) -> list[ua.CallMethodResult]:
        await self.hooks.faults.delay()
        if self._ours([c.ObjectId for c in params]) and self.hooks.faults.error():
            return [ua.CallMethodResult(StatusCode=status(BAD_INTERNAL)) for _ in params]
        token = current_user.set(user_label(self.user))
        try:
            return await super().call(params)
        finally:
            current_user.reset(token)

    async def history_read(self, params: ua.HistoryReadParameters) -> list[ua.HistoryReadResult]:
        await self.hooks.faults.delay()
        if self._ours([n.NodeId for n in params.NodesToRead]) and self.hooks.faults.error():
            return [ua.HistoryReadResult(StatusCode=status(BAD_INTERNAL)) for _ in params.NodesToRead]
        return await super().history_read(params)

    async def create_subscription(self, params: ua.CreateSubscriptionParameters, callback: Callable[..., Any],
                                  request_callback: Callable[..., Any] | None = None) -> ua.CreateSubscriptionResult:
        return await super().create_subscription(params, self._deliver_via(callback), request_callback)

    async def transfer_subscriptions(self, params: ua.TransferSubscriptionsParameters,  # type: ignore[override]
                                     callback: Callable[..., Any]) -> list[ua.TransferResult]:
        return await super().transfer_subscriptions(params, self._deliver_via(callback))

    def _deliver_via(self, callback: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
        faults = self.hooks.faults

        async def deliver(result: ua.PublishResult, *rest: Any) -> None:
            await faults.delay()
            data = result.NotificationMessage.NotificationData
            if data and faults.duplicate():
                for notification in data:
                    if isinstance(notification, ua.DataChangeNotification):
                        notification.MonitoredItems = notification.MonitoredItems * 2
                    elif isinstance(notification, ua.EventNotificationList):
                        notification.Events = notification.Events * 2
            await callback(result, *rest)

        return deliver
