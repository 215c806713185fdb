"""Fault injection shared by every simulator, changed at run time through the admin endpoint.

Rates are probabilities drawn from a seeded generator, so a run with the same seed and the same
traffic injects the same faults. Each protocol decides what an "error" or "malformed" answer is
(NACK, SOAP fault, 5xx, Bad status code...).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field

from simulators.common.clock import SimClock


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=600_000, description="Added to every answer")
    down: bool = Field(default=False, description="Stop listening: clients get connection refused")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="Share of requests answered with an error")
    malformed_rate: float = Field(default=0.0, ge=0, le=1, description="Share of answers that are malformed")
    duplicate_rate: float = Field(default=0.0, ge=0, le=1, description="Share of deliveries sent twice")
    clock_skew_seconds: float = Field(default=0.0, ge=-86_400, le=86_400, description="Offset of the system clock")


DownHandler = Callable[[bool], Awaitable[None]]


class Faults:
    def __init__(self, clock: SimClock, seed: int = 42) -> None:
        self.config = FaultConfig()
        self.clock = clock
        self.random = random.Random(seed)
        self._down_handlers: list[DownHandler] = []

    def on_down_changed(self, handler: DownHandler) -> None:
        self._down_handlers.append(handler)

    async def apply(self, config: FaultConfig) -> FaultConfig:
        was_down = self.config.down
        self.config = config
        self.clock.skew_seconds = config.clock_skew_seconds
        if config.down != was_down:
            for handler in self._down_handlers:
                await handler(config.down)
        return self.config

    async def delay(self) -> None:
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self.random.random() < rate

    def error(self) -> bool:
        return self._draw(self.config.error_rate)

    def malformed(self) -> bool:
        return self._draw(self.config.malformed_rate)

    def duplicate(self) -> bool:
        return self._draw(self.config.duplicate_rate)
