"""Process dynamics and limit alarms of a DeltaV control loop."""

from __future__ import annotations

import math

import pytest

from simulators.deltav.plant import LOOPS_BY_TAG
from simulators.deltav.process import ProcessLoop, limit_state

pytestmark = pytest.mark.unit
TEMPERATURE = LOOPS_BY_TAG["BR-101/TIC-101/PV"]


def readings(seed: int, n: int = 20, sp: float = 37.0) -> list[float]:
    loop = ProcessLoop(TEMPERATURE, seed)
    return [loop.step(0.5, sp, now=float(i)) for i in range(n)]


def test_same_seed_same_readings_and_noise_stays_realistic() -> None:
    assert readings(7) == readings(7)
    assert readings(7) != readings(8)
    assert all(36.7 < r < 37.3 for r in readings(7, 200))


def test_pv_follows_a_new_set_point_first_order() -> None:
    values = readings(1, n=40, sp=37.4)
    assert values[0] < 37.25 and abs(values[-1] - 37.4) < 0.2


def test_an_excursion_drives_the_value_out_then_releases_it() -> None:
    loop = ProcessLoop(TEMPERATURE, 3)
    loop.disturb(39.5, until=2.0)
    peak = max(loop.step(0.5, 37.0, now=t / 2) for t in range(4))
    assert peak > TEMPERATURE.hi
    after = [loop.step(0.5, 37.0, now=2.0 + t / 2) for t in range(30)]
    assert loop.excursion is None and abs(after[-1] - 37.0) < 0.3


@pytest.mark.parametrize(("previous", "value", "expected"), [
    ("NORMAL", 37.6, "HI"), ("NORMAL", 36.4, "LO"), ("NORMAL", 37.0, "NORMAL"),
    ("HI", 37.48, "HI"),  # inside the limit but within ALARM_HYS: stays active
    ("HI", 37.40, "NORMAL"), ("LO", 36.52, "LO"), ("LO", 36.6, "NORMAL"), ("HI", math.nan, "HI"),
])
def test_limit_alarm_with_hysteresis(previous: str, value: float, expected: str) -> None:
    assert limit_state(previous, value, TEMPERATURE) == expected
