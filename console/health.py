"""Adapter and component health as the components report it on their own /health endpoints."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    status: str  # up, degraded, down or unreachable
    checks: dict[str, str]
    source: str


async def _probe(client: httpx.AsyncClient, url: str) -> list[ComponentHealth]:
    try:
        answer = await client.get(url)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        return [ComponentHealth(url, "unreachable", {"error": str(exc) or type(exc).__name__}, url)]
    components = body.get("components") if isinstance(body, dict) else None
    if not isinstance(components, dict):
        return [ComponentHealth(url, "unreachable", {"error": f"HTTP {answer.status_code}, no components"}, url)]
    return [ComponentHealth(name, str(c.get("status", "down")), {k: str(v) for k, v in c.get("checks", {}).items()},
                            url) for name, c in components.items() if isinstance(c, dict)]


async def gather_health(urls: tuple[str, ...], timeout: float = 3.0) -> list[ComponentHealth]:
    async with httpx.AsyncClient(timeout=timeout) as client:
        found = await asyncio.gather(*(_probe(client, url) for url in urls))
    return sorted((c for group in found for c in group), key=lambda c: c.name)
