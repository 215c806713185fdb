"""What every adapter is: a lifecycle, a health probe, and the ports it is composed from.

Composition happens in one place (gxplink's bootstrap): an adapter receives its ports — the
JetStream publisher and connection, the SQL store, the mapping catalog, its metrics — and never
builds them itself, so tests compose the same adapter with fakes or with the real stack.
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.framework.metrics import AdapterMetrics
from mappings.engine.catalog import Catalog
from messaging.publisher import Publisher

Status = Literal["up", "degraded", "down"]


@dataclass(frozen=True)
class Health:
    status: Status
    checks: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, checks: dict[str, bool | str]) -> Health:
        """'up' when every check passed, 'down' when none did, else 'degraded'."""
        rendered = {k: ("ok" if v is True else "failed" if v is False else str(v)) for k, v in checks.items()}
        passed = [v == "ok" for v in rendered.values()]
        return cls("up" if all(passed) else "down" if not any(passed) else "degraded", rendered)


@dataclass
class AdapterPorts:
    nc: Client
    js: JetStreamContext
    publisher: Publisher
    engine: AsyncEngine
    catalog: Catalog
    metrics: AdapterMetrics
    nats_connected: Any = None  # callable () -> bool


class Adapter(abc.ABC):
    """start() is idempotent, stop(timeout) drains, health() probes without side effects."""

    system: ClassVar[str]

    def __init__(self, ports: AdapterPorts) -> None:
        self.ports = ports
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if not self._started:
                await self._start()
                self._started = True

    async def stop(self, timeout: float = 10.0) -> None:
        async with self._lock:
            if self._started:
                await asyncio.wait_for(self._stop(), timeout)
                self._started = False

    @property
    def running(self) -> bool:
        return self._started

    @abc.abstractmethod
    async def _start(self) -> None: ...

    @abc.abstractmethod
    async def _stop(self) -> None: ...

    @abc.abstractmethod
    async def health(self) -> Health: ...

    def endpoints(self) -> dict[str, str]:
        """Addresses the adapter listens on, for the endpoints JSON `adapters` object."""
        return {}
