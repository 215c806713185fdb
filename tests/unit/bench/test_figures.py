"""How a figure is judged against its baseline and goal (no measurement here)."""

from __future__ import annotations

import pytest

from gxplink.bench.figures import Figure, percentile

pytestmark = pytest.mark.unit


def test_a_throughput_goal_is_a_ratio_of_the_baseline() -> None:
    figure = Figure(700.0, "events/s", 1000.0, "raw nats-py", goal_ratio=0.6)
    assert figure.ratio == pytest.approx(0.7) and figure.met is True and figure.goal == ">= 0.6 x baseline"
    assert Figure(500.0, "events/s", 1000.0, "raw", goal_ratio=0.6).met is False


def test_a_latency_goal_is_an_upper_bound() -> None:
    figure = Figure(180.0, "ms", 12.0, "raw round trip", better="lower", goal_value=250)
    assert figure.met is True and figure.goal == "< 250 ms"
    assert Figure(250.0, "ms", 12.0, "raw", better="lower", goal_value=250).met is False


def test_every_figure_reports_value_unit_and_baseline() -> None:
    shown = Figure(3.0, "ms", None, "none measured").as_dict()
    assert shown["baseline"] == {"name": "none measured", "value": None} and shown["ratio"] is None
    assert shown["met"] is None and shown["unit"] == "ms"


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 50) == 50.0 and percentile(samples, 99) == 99.0 and percentile(samples, 100) == 100.0
    assert percentile([5.0], 99) == 5.0
    with pytest.raises(ValueError):
        percentile([], 50)
