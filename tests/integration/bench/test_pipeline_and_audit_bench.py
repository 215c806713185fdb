"""P1 pipeline, P5 audit query, P6 audit verify and P7 memory run end to end at a tiny size.

The figures are checked for presence and sense, never against a wall-clock threshold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gxplink.bench import audit, pipeline
from gxplink.bench.figures import BenchContext

pytestmark = pytest.mark.integration


async def test_the_pipeline_reports_both_durability_modes_and_memory(tmp_path: Path) -> None:
    figures = await pipeline.run(BenchContext("tiny", tmp_path, say=lambda _: None))
    assert set(figures) == {"pipeline", "pipeline_vs_faststream", "pipeline_server_default_sync",
                            "pipeline_vs_faststream_server_default_sync", "memory_peak_rss"}
    for figure in figures.values():
        assert figure.value > 0 and figure.baseline and figure.baseline > 0
    assert figures["pipeline"].durability == "fsync every write"
    assert figures["pipeline"].detail["payload_bytes"] > 300  # a whole canonical envelope, not a stub payload
    assert figures["memory_peak_rss"].value >= figures["memory_peak_rss"].baseline * 0.5


async def test_the_audit_trail_is_queried_and_verified(tmp_path: Path) -> None:
    figures = await audit.run(BenchContext("tiny", tmp_path, say=lambda _: None))
    assert {"audit_query_p99", "audit_query_p50", "audit_verify"} <= set(figures)
    assert figures["audit_query_p99"].value >= figures["audit_query_p50"].value > 0
    assert figures["audit_verify"].detail["records"] == 2000 and figures["audit_verify"].unit == "records/s"
