"""`gxplink demo`: the reference batch end to end through the CLI (surviving its own nats-server
being SIGKILLed once mid-run), then resumed after a SIGKILL of gxplink itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import GXPLINK, cli_env, processes_mentioning, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def nats_pid(data: Path, timeout: float = 60) -> int:
    """The embedded nats-server of a running gxplink on `data`, once it is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(json.loads((data / "nats" / "runtime.json").read_text())["pid"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise AssertionError("the demo's nats-server never came up")


@pytest.mark.requirement("URS-006")
def test_the_reference_batch_is_released_and_the_trail_covers_every_system(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    process = subprocess.Popen([*GXPLINK, "demo", "--data-dir", str(data), "--batch-id", "CART-E2E-0001"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(),
                               start_new_session=True)
    first_server = nats_pid(data)
    time.sleep(8)  # mid-run: the batch is executing
    os.kill(first_server, signal.SIGKILL)  # the embedded server crashes under the demo
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    assert "released" in output
    assert "embedded nats-server died" in output  # restarted on the same port and store by the supervisor
    trail = run("audit", "trail", "CART-E2E-0001", "--format", "json", "--data-dir", str(data))
    records = json.loads(trail.stdout)
    assert {"mes", "lims", "qms", "erp", "deltav", "gxplink"} <= {r["sourcesystem"] for r in records}
    assert any("signature" in f"{r['recordtype']} {r['action']}" for r in records)
    releases = [r for r in records if "releas" in r["action"] and "lot" in r["recordtype"]]
    assert releases
    assert run("audit", "verify", "--data-dir", str(data)).returncode == 0
    again = run("demo", "--data-dir", str(data), "--batch-id", "CART-E2E-0001", timeout=600)
    assert again.returncode == 0
    records_again = json.loads(run("audit", "trail", "CART-E2E-0001", "--format", "json",
                                   "--data-dir", str(data)).stdout)
    assert len([r for r in records_again if "releas" in r["action"] and "lot" in r["recordtype"]]) == len(releases)
    assert processes_mentioning(str(data)) == []


@pytest.mark.requirement("URS-006")
def test_a_demo_killed_midway_resumes_and_does_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "killed"
    process = subprocess.Popen([*GXPLINK, "demo", "--data-dir", str(data), "--batch-id", "CART-E2E-0002"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(),
                               start_new_session=True)
    time.sleep(25)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    resumed = run("demo", "--data-dir", str(data), "--batch-id", "CART-E2E-0002", timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    records = json.loads(run("audit", "trail", "CART-E2E-0002", "--format", "json", "--data-dir", str(data)).stdout)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert len([r for r in records if "releas" in r["action"] and "lot" in r["recordtype"]]) >= 1
    assert run("audit", "verify", "--data-dir", str(data)).returncode == 0
