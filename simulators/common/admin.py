"""The small admin endpoint: fault injection, scenario actions and the native audit trail.

It listens on its own port, so it stays reachable while a simulator is "down".
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI, HTTPException

from simulators.common.base import Simulator
from simulators.common.faults import FaultConfig


def admin_app(simulators: dict[str, Simulator]) -> FastAPI:
    app = FastAPI(title="gxplink simulator admin", version="1")

    def get(system: str) -> Simulator:
        if system not in simulators:
            raise HTTPException(404, f"no simulator {system!r}; running: {sorted(simulators)}")
        return simulators[system]

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {name: {"url": sim.url, "down": sim.ctx.faults.config.down} for name, sim in simulators.items()}

    @app.get("/sims/{system}/faults")
    async def faults(system: str) -> FaultConfig:
        return get(system).ctx.faults.config

    @app.put("/sims/{system}/faults")
    async def set_faults(system: str, config: FaultConfig) -> FaultConfig:
        return await get(system).ctx.faults.apply(config)

    @app.post("/sims/{system}/faults/reset")
    async def reset_faults(system: str) -> FaultConfig:
        return await get(system).ctx.faults.apply(FaultConfig())

    @app.get("/sims/{system}/actions")
    async def actions(system: str) -> list[str]:
        return sorted(get(system).actions())

    @app.post("/sims/{system}/actions/{name}")
    async def run_action(system: str, name: str, params: dict[str, Any] = Body(default_factory=dict)) -> Any:
        action = get(system).actions().get(name)
        if action is None:
            raise HTTPException(404, f"{system} has no action {name!r}; it has {sorted(get(system).actions())}")
        try:
            return await action(params)
        except (KeyError, ValueError) as exc:
            raise HTTPException(422, f"{name}: {exc}") from exc

    @app.get("/sims/{system}/audit")
    async def audit(system: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        return [e.as_dict() for e in get(system).ctx.audit.since(after, limit)]

    return app
