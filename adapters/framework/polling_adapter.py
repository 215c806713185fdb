"""An adapter that follows a system's change feed and audit trail by polling, and runs its commands.

The MES (REST) and the QMS (SOAP) work this way: a client to open and close, two cursor followers,
the command loop and the replay responder. Their lifecycle and health are this one class; each
adapter builds its parts.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from adapters.base import Adapter, Health
from adapters.framework.command_loop import CommandLoop
from adapters.framework.follow import CursorFollower
from adapters.framework.replay import ReplayResponder


class SystemClient(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def probe(self) -> bool: ...


class PollingSettings(Protocol):
    @property
    def poll_interval_seconds(self) -> float: ...
    @property
    def audit_poll_seconds(self) -> float: ...


class PollingAdapter(Adapter):
    address_env: ClassVar[str]  # the setting that names the system, for the health check of an unset one
    config: PollingSettings
    client: SystemClient | None
    feed: CursorFollower | None
    audit: CursorFollower | None
    commands: CommandLoop
    replay: ReplayResponder

    async def _start(self) -> None:
        if self.client is not None:
            await self.client.open()
        await self.replay.start()
        self.commands.start()
        if self.feed is not None and self.audit is not None:
            self.feed.start(self.config.poll_interval_seconds)
            self.audit.start(self.config.audit_poll_seconds)

    async def _stop(self) -> None:
        for follower in (self.feed, self.audit):
            if follower is not None:
                await follower.stop()
        await self.replay.stop()
        await self.commands.stop()
        if self.client is not None:
            await self.client.close()

    async def health(self) -> Health:
        checks: dict[str, bool | str] = {"command_consumer": self.commands.alive}
        if self.client is None:
            checks[f"{self.system}_configured"] = f"failed: no {self.address_env}"
        else:
            checks[f"{self.system}_reachable"] = await self.client.probe()
            checks["change_feed"] = bool(self.feed and self.feed.alive)
            checks["audit_trail"] = bool(self.audit and self.audit.alive)
        if self.ports.nats_connected is not None:
            checks["nats"] = bool(self.ports.nats_connected())
        return Health.of(checks)
