"""What every simulator shares: its context (data dir, clock, faults, audit trail) and lifecycle.

A simulator listens on its real protocol; `down` closes the listener so clients see connection
refused, as they would when the real system is off, and reopens it on the same port afterwards.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.common.faults import Faults

Action = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class SimContext:
    system: str
    data_dir: Path  # this simulator's own directory
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 42

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = SimClock()
        self.faults = Faults(self.clock, self.seed)
        self.audit = NativeAuditTrail(self.data_dir / "audit.jsonl", self.clock)

    @classmethod
    def under(cls, root: Path, system: str, **options: Any) -> SimContext:
        return cls(system=system, data_dir=Path(root).resolve() / "sim" / system, **options)


class Simulator(abc.ABC):
    """One legacy system. Subclasses listen in `listen()` and stop in `close()`."""

    system: ClassVar[str]

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.port = ctx.port
        self.ctx.faults.on_down_changed(self._on_down_changed)

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """The endpoint as written to the endpoints JSON (opc.tcp://, mllp://, http://...)."""

    @abc.abstractmethod
    async def listen(self) -> None:
        """Start listening on self.ctx.host and self.port (0 = any); set self.port to the bound port."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and release the port."""

    async def start(self) -> None:
        await self.listen()

    async def stop(self) -> None:
        await self.close()

    async def _on_down_changed(self, down: bool) -> None:
        if down:
            await self.close()
        else:
            await self.listen()

    def endpoints(self) -> dict[str, Any]:
        """Entries for the `sim` part of the endpoints JSON."""
        return {self.system: self.url}

    def actions(self) -> dict[str, Action]:
        """Named operations for the admin endpoint (scenario steps, manual triggers)."""
        return {}
