"""Benchmark P3 (OPC UA) runs end to end at the tiny size and reports every figure with its baseline.

Only the shape of the report is checked: wall-clock figures depend on the machine, never asserted here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gxplink.bench.figures import BenchContext
from gxplink.bench.opcua import run

pytestmark = pytest.mark.integration

BARE = "bare asyncua subscription client"


def _children() -> set[int]:
    """Processes this test process has started and not reaped (the simulator, adapter and client children)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


async def test_opcua_reports_every_figure_with_its_baseline(tmp_path: Path) -> None:
    before = _children()
    figures = await run(BenchContext("tiny", tmp_path, say=lambda _: None))

    assert set(figures) >= {"opcua_changes", "opcua_cpu_per_change", "opcua_rss"}
    for figure in figures.values():
        assert figure.value > 0
        assert figure.baseline is not None and figure.baseline > 0
        assert isinstance(figure.met, bool)
        assert figure.durability == "fsync every write"

    changes = figures["opcua_changes"]
    assert (changes.unit, changes.baseline_name, changes.better) == ("changes/s", BARE, "higher")
    assert changes.goal_ratio == 0.9 and changes.goal == ">= 0.9 x baseline"
    assert changes.detail["changes"] > 0 and changes.detail["bare_client_changes"] > 0
    assert changes.detail["deadband_percent"] == 0

    cpu = figures["opcua_cpu_per_change"]
    assert (cpu.unit, cpu.baseline_name, cpu.better) == ("us/change", BARE, "lower")
    assert cpu.goal_value == 29 and cpu.goal == "< 29 us/change"
    assert cpu.detail["reference"] == "node-red-contrib-opcua 29 us/change"
    assert cpu.detail["outside_the_adapter_process"]["nats_server_us_per_change"] >= 0

    rss = figures["opcua_rss"]
    assert (rss.unit, rss.better, rss.goal_value) == ("MB", "lower", 90)
    assert rss.as_dict()["baseline"]["value"] > 0

    assert _children() <= before  # simulator, adapter, bare client and nats-server are gone
