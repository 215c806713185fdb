"""`gxplink sim up` and `gxplink sim scenario`: the plant side of the reference batch, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Background, processes_mentioning, run

pytestmark = pytest.mark.e2e


def test_the_scenario_advances_the_reference_batch_in_steps_and_resumes(tmp_path: Path) -> None:
    data, endpoints = tmp_path / "sims", tmp_path / "endpoints.json"
    sims = Background("sim", "up", "--data-dir", str(data), "--endpoints-file", str(endpoints), log_dir=tmp_path)
    try:
        sims.wait_for_endpoints(endpoints, ("sim", "sim_admin"), timeout=90)
        first = run("sim", "scenario", "CART-SIM-1", "--steps", "2", "--endpoints-file", str(endpoints))
        assert first.returncode == 0, first.stderr
        assert "in_execution, 2/8 steps" in first.stdout
        rest = run("sim", "scenario", "CART-SIM-1", "--excursion", "--endpoints-file", str(endpoints))
        assert rest.returncode == 0, rest.stderr
        assert "temperature excursion on BR-101" in rest.stdout and "completed, 8/8 steps" in rest.stdout
        again = run("sim", "scenario", "CART-SIM-1", "--endpoints-file", str(endpoints))
        assert again.returncode == 0 and "completed, 8/8 steps" in again.stdout  # nothing done twice
        assert "created" not in again.stdout
    finally:
        assert sims.stop() == 0, sims.log()
    assert processes_mentioning(str(data)) == []
