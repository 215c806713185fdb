"""P4 release latency runs end to end at a tiny size: real nats-server, real orchestrator, batches released.

The figures are checked for presence and sense, never against a wall-clock threshold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gxplink.bench import release_latency
from gxplink.bench.figures import BenchContext

pytestmark = pytest.mark.integration


async def test_every_batch_is_released_and_both_percentiles_are_reported(tmp_path: Path) -> None:
    figures = await release_latency.run(BenchContext("tiny", tmp_path, say=lambda _: None))
    assert set(figures) == {"release_latency_p99", "release_latency_p50"}
    p99, p50 = figures["release_latency_p99"], figures["release_latency_p50"]
    for figure in (p99, p50):
        assert figure.unit == "ms" and figure.better == "lower" and figure.durability == "fsync every write"
        assert figure.value > 0 and figure.baseline is not None and figure.baseline > 0
        assert figure.baseline_name.startswith("raw JetStream publish->consume round trip")
    assert p99.value >= p50.value and p99.goal_value == 250 and p50.goal_value is None
    assert p99.detail["batches"] == 3 and p99.detail["payload_bytes"] > 300  # a whole result envelope
    assert p99.detail["orchestrator_poll_seconds"] > 0
    # the total (rounded to 0.1 ms) also counts the wait for the person, which the machine figure leaves out
    assert p99.detail["total_ms"]["p99"] >= p99.value - 0.1
