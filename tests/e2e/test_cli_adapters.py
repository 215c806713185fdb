"""`gxplink up` with its adapters, driven with python-hl7's own `mllp_send` as an independent client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from messaging.connection import connect
from tests.support.cli import Background, processes_mentioning, run
from tests.support.corpora import corpus

pytestmark = pytest.mark.e2e
MLLP_SEND = shutil.which("mllp_send", path=str(Path(sys.executable).parent)) or "mllp_send"


def mllp_send(url: str, path: Path) -> str:
    host, port = url.removeprefix("mllp://").split(":")
    result = subprocess.run([MLLP_SEND, "--loose", "-f", str(path), "-p", port, host], capture_output=True,
                            text=True, timeout=60)
    return result.stdout


def raw_frame(url: str, payload: bytes) -> bytes:
    """One MLLP frame on a plain socket (mllp_send --loose would rewrite non-HL7 input)."""
    import socket

    host, port = url.removeprefix("mllp://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"\x0b" + payload + b"\x1c\r")
        data = b""
        while b"\x1c" not in data and (chunk := sock.recv(4096)):
            data += chunk
    return data


async def lims_events(nats_url: str) -> list[dict[str, Any]]:
    from nats.js.errors import NotFoundError

    nc = await connect(nats_url, "e2e-probe")
    found, seq = [], 1
    while True:
        try:
            msg = await nc.jetstream().get_msg("GXP_EVENTS", seq=seq, subject="gxp.evt.lims.>", next=True)
        except NotFoundError:
            break
        found.append(json.loads(msg.data or b"{}"))
        seq = (msg.seq or seq) + 1
    await nc.close()
    return found


@pytest.fixture
def stack(tmp_path: Path) -> Any:
    data, endpoints_file = tmp_path / "up", tmp_path / "endpoints.json"
    up = Background("up", "--data-dir", str(data), "--endpoints-file", str(endpoints_file), log_dir=tmp_path)
    try:
        endpoints = up.wait_for_endpoints(endpoints_file, ("nats", "adapters", "sim", "health"), timeout=90)
        yield endpoints, data
    finally:
        code = up.stop()
        assert code == 0, up.log()
        assert processes_mentioning(str(data)) == []


@pytest.mark.requirement("URS-003")
def test_lims_results_over_mllp_and_bad_input_to_the_dead_letters(stack: Any, tmp_path: Path) -> None:
    endpoints, data = stack
    oru = corpus("cdc-trusted-intermediary/examples/CA/002_CA_ORU_R01.hl7")
    url = endpoints["adapters"]["lims_mllp"]
    first = mllp_send(url, oru)
    assert "MSA|AA|220220550" in first, first
    again = mllp_send(url, oru)
    assert "MSA|AA|220220550" in again
    events = [e for e in asyncio.run(lims_events(endpoints["nats"])) if e.get("subject") == "sample/220220550"]
    assert len(events) > 100 and len({e["id"] for e in events}) == len(events)

    assert b"MSA|AR" in raw_frame(url, b"GARBAGE|NOT|HL7\r")
    listed = run("dlq", "list", "--format", "json", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    (letter,) = [x for x in json.loads(listed.stdout) if "GARBAGE" in x["payload"]]
    assert "must start with an MSH segment" in letter["reason"]
    shown = run("dlq", "show", letter["id"][:12], "--data-dir", str(data))
    assert shown.returncode == 0 and "GARBAGE|NOT|HL7" in shown.stdout
    replayed = run("dlq", "replay", letter["id"], "--data-dir", str(data))
    assert replayed.returncode == 1 and "refused again" in replayed.stdout  # still garbage: still refused


def test_health_and_metrics_are_served(stack: Any) -> None:
    import httpx

    endpoints, _ = stack
    health = httpx.get(f"{endpoints['health']}/health", timeout=10)
    assert health.json()["components"]["lims"]["checks"]["mllp_listener"] == "ok"
    metrics = httpx.get(f"{endpoints['health']}/metrics", timeout=10).text
    assert 'gxplink_messages_in_total{system="lims"}' in metrics


def test_an_adapter_runs_as_its_own_process(stack: Any, tmp_path: Path) -> None:
    endpoints, data = stack
    own = tmp_path / "lims-endpoints.json"
    process = Background("run", "adapter", "lims", "--data-dir", str(data), "--endpoints-file", str(own),
                         log_dir=tmp_path, env={"GXPLINK_LIMS_LIMS_URL": endpoints["sim"]["lims"]})
    try:
        mine = process.wait_for_endpoints(own, ("adapters",))
        oru = corpus("cdc-trusted-intermediary/examples/CA/002_CA_ORU_R01.hl7")
        assert "MSA|AA|" in mllp_send(mine["adapters"]["lims_mllp"], oru)
    finally:
        assert process.stop() == 0, process.log()
