"""Health and Prometheus metrics over HTTP, for every adapter a process runs.

`/health` answers 200 when every component is up and 503 otherwise (liveness/readiness probes);
`/metrics` is the Prometheus text exposition of every component's registry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from adapters.base import Health

HealthProbe = Callable[[], Awaitable[Health]]


def observability_app(probes: Mapping[str, HealthProbe], registries: list[CollectorRegistry]) -> FastAPI:
    app = FastAPI(title="gxplink health and metrics", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> JSONResponse:
        results: dict[str, Any] = {name: asdict(await probe()) for name, probe in probes.items()}
        healthy = all(r["status"] == "up" for r in results.values())
        return JSONResponse({"status": "up" if healthy else "degraded", "components": results},
                            status_code=200 if healthy else 503)

    @app.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        text = b"".join(generate_latest(r) for r in registries)
        return PlainTextResponse(text, media_type=CONTENT_TYPE_LATEST)

    return app
