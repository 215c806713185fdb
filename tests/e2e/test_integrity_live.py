"""The live ALCOA+ monitor on a running stack: the MES clock runs ten minutes ahead, a batch is created
there, and the finding reaches the audit trail, the batch's review and the console without anyone
running a review."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_console_http import logged_in
from tests.support.cli import Background, run

pytestmark = pytest.mark.e2e
BATCH = "CART-SKEW-0001"


def test_a_skewed_clock_is_raised_live_and_shown_for_review(tmp_path: Path) -> None:
    data, endpoints_file = tmp_path / "up", tmp_path / "endpoints.json"
    up = Background("up", "--data-dir", str(data), "--endpoints-file", str(endpoints_file), log_dir=tmp_path)
    try:
        endpoints = up.wait_for_endpoints(endpoints_file, ("console", "sim_admin"), timeout=90)
        admin = endpoints["sim_admin"]
        assert httpx.put(f"{admin}/sims/mes/faults", json={"clock_skew_seconds": 600}, timeout=30).status_code == 200
        created = httpx.post(f"{admin}/sims/mes/actions/create_batch", json={"batch_id": BATCH}, timeout=30)
        assert created.status_code == 200, created.text

        found: list[dict[str, str]] = []
        for _ in range(120):
            trail = run("audit", "trail", BATCH, "--format", "json", "--data-dir", str(data))
            records = json.loads(trail.stdout) if trail.returncode == 0 else []
            found = [{c["field"]: c["new"] for c in r["changes"]} for r in records
                     if r["recordtype"] == "data_integrity_issue"]
            if any(f.get("check") == "clock_skew" for f in found):
                break
            time.sleep(0.5)
        skew = [f for f in found if f.get("check") == "clock_skew"]
        assert skew and skew[0]["source_system"] == "mes" and skew[0]["principle"] == "contemporaneous", found

        review = run("audit", "review", BATCH, "--format", "json", "--data-dir", str(data))
        assert any(f["category"] == "clock_skew" and f["sourcesystem"] == "mes" for f in json.loads(review.stdout))

        console = logged_in(endpoints["console"], "admin",
                            (data / "creds" / "console-admin.password").read_text().strip())
        page = console.get("/integrity").text
        assert "clock skew" in page and BATCH in page and "contemporaneous" in page
    finally:
        assert up.stop() == 0, up.log()
