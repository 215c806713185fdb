"""Running several simulators (all five for `gxplink sim up`) and their admin endpoint in one process.

The admin app sees the simulators only while it serves: FastAPI keeps endpoint functions in
process-wide caches, and a stopped set (a DeltaV address space alone is half a million objects)
must not stay reachable through them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulators.common.admin import admin_app
from simulators.common.base import SimContext, Simulator
from simulators.common.http import EmbeddedHttpServer
from simulators.registry import SYSTEMS, create


class SimulatorSet:
    def __init__(
        self, data_dir: Path, systems: Iterable[str] = SYSTEMS, *, host: str = "127.0.0.1",
        ports: dict[str, int] | None = None, seed: int = 42, admin_port: int = 0,
    ) -> None:
        ports = ports or {}
        self.simulators: dict[str, Simulator] = {
            system: create(system, SimContext.under(data_dir, system, host=host, port=ports.get(system, 0), seed=seed))
            for system in systems
        }
        self._served: dict[str, Simulator] = {}
        self.admin = EmbeddedHttpServer(admin_app(self._served), host, admin_port)

    async def start(self) -> dict[str, Any]:
        started: list[Simulator] = []
        try:
            for sim in self.simulators.values():
                await sim.start()
                started.append(sim)
            self._served.update(self.simulators)
            await self.admin.start()
        except BaseException:
            self._served.clear()
            for sim in reversed(started):
                await sim.stop()
            raise
        return self.endpoints()

    async def stop(self) -> None:
        await self.admin.stop()
        self._served.clear()
        for sim in reversed(list(self.simulators.values())):
            await sim.stop()

    def endpoints(self) -> dict[str, Any]:
        """The `sim` part of the endpoints JSON, plus `sim_admin` (fault injection and scenario actions)."""
        sim: dict[str, Any] = {}
        for simulator in self.simulators.values():
            sim.update(simulator.endpoints())
        return {"sim": sim, "sim_admin": f"http://{self.admin.host}:{self.admin.port}"}
