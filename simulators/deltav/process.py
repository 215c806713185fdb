"""Process dynamics of one control loop: a first-order lag towards the set point plus measurement noise.

The true process value follows the set point with time constant TAU; the transmitter adds seeded
Gaussian noise, so the same seed gives the same sequence of readings. An injected excursion
replaces the target for a while (a disturbance the controller cannot hold), then the loop recovers.
"""

from __future__ import annotations

import math
import random
import zlib

from simulators.deltav.plant import Loop

TAU_SECONDS = 2.0  # closed-loop time constant
EXCURSION_TAU_SECONDS = 0.4  # how fast a disturbance drives the value away


class ProcessLoop:
    def __init__(self, loop: Loop, seed: int) -> None:
        self.loop = loop
        self.value = loop.sp
        self.random = random.Random(seed * 1_000_003 + zlib.crc32(loop.tag.encode()))
        self.excursion: tuple[float, float] | None = None  # (target, until monotonic seconds)

    def disturb(self, target: float, until: float) -> None:
        self.excursion = (target, until)

    def step(self, dt: float, sp: float, now: float) -> float:
        """Advance by dt seconds and return the transmitter reading."""
        if self.excursion and now >= self.excursion[1]:
            self.excursion = None
        target, tau = (self.excursion[0], EXCURSION_TAU_SECONDS) if self.excursion else (sp, TAU_SECONDS)
        self.value += (target - self.value) * (1.0 - math.exp(-dt / tau))
        return round(self.value + self.random.gauss(0.0, self.loop.noise), 4)


def limit_state(previous: str, value: float, loop: Loop) -> str:
    """Exclusive limit alarm state HI / LO / NORMAL with DeltaV's alarm hysteresis; NaN keeps the state."""
    if math.isnan(value):
        return previous
    if value > loop.hi or (previous == "HI" and value > loop.hi - loop.hysteresis):
        return "HI"
    if value < loop.lo or (previous == "LO" and value < loop.lo + loop.hysteresis):
        return "LO"
    return "NORMAL"
