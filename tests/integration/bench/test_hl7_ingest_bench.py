"""Benchmark P2 (HL7 ingest) runs end to end at the tiny size and reports every figure with its baseline.

Only the shape of the report is checked: wall-clock figures depend on the machine, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gxplink.bench.figures import BenchContext
from gxplink.bench.hl7_ingest import run

pytestmark = pytest.mark.integration


async def test_hl7_ingest_reports_every_figure_with_its_baseline(tmp_path: Path) -> None:
    figures = await run(BenchContext("tiny", tmp_path, say=lambda _: None))

    assert set(figures) >= {"hl7_ingest", "hl7_parse_hl7apy"}
    for figure in figures.values():
        assert figure.value > 0 and figure.unit == "msg/s"
        assert figure.baseline is not None and figure.baseline > 0
        assert figure.baseline_name == "python-hl7 parse only"
        assert figure.better == "higher"

    ingest = figures["hl7_ingest"]
    assert ingest.goal_value == 2000 and ingest.goal == ">= 2000 msg/s" and isinstance(ingest.met, bool)
    assert ingest.durability == "fsync every write"
    assert ingest.detail["messages"] == 40 and ingest.detail["hl7apy_parse_msg_per_s"] > 0
    assert ingest.detail["events_in_jetstream"] > 0
    assert figures["hl7_parse_hl7apy"].goal is None and figures["hl7_parse_hl7apy"].met is None
    assert ingest.as_dict()["baseline"]["name"] == "python-hl7 parse only"
