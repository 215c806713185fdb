"""`gxplink up --secure`: the whole stack on per-component credentials over TLS, driven as a user would.

A LIMS result goes through the adapter (as `adapter-lims`) into JetStream and the audit trail (as
`audit-writer`); the operator's CLI works beside it (as `admin`); an adapter run as its own process
speaks as its component; a client without credentials is refused; the server logged no
permission violation of gxplink's own components on the way; and no secret reached the log.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nats
import pytest

from tests.e2e.test_cli_adapters import mllp_send
from tests.e2e.test_console_http import logged_in
from tests.support.cli import Background, processes_mentioning, run
from tests.support.corpora import corpus

pytestmark = pytest.mark.e2e
ORU = "cdc-trusted-intermediary/examples/CA/002_CA_ORU_R01.hl7"


@pytest.fixture
def secured(tmp_path: Path) -> Any:
    data, endpoints_file = tmp_path / "up", tmp_path / "endpoints.json"
    up = Background("up", "--secure", "--data-dir", str(data), "--endpoints-file", str(endpoints_file),
                    log_dir=tmp_path, env={"GXPLINK_LOG_LEVEL": "INFO"})
    try:
        yield up.wait_for_endpoints(endpoints_file, ("nats", "adapters", "sim", "health", "console"), timeout=90), data
    finally:
        code = up.stop()
        assert code == 0, up.log()
        assert processes_mentioning(str(data)) == []
        up.out.seek(0)
        logged = up.out.read()
        secrets = [json.loads(p.read_text())["password"] for p in (data / "creds").glob("*.json")]
        endpoints = json.loads(endpoints_file.read_text())
        secrets += [auth["password"] for key, auth in endpoints["sim"].items() if key.endswith("_auth")]
        assert secrets and not [s for s in secrets if s in logged], "a secret was logged"


async def _connect_without_credentials(url: str) -> str:
    try:
        nc = await nats.connect(url, allow_reconnect=False, connect_timeout=5)
    except Exception as exc:
        return str(exc)
    await nc.close()
    return "connected"


def test_the_secured_stack_takes_results_and_the_operator_cli_works_beside_it(secured: Any, tmp_path: Path) -> None:
    endpoints, data = secured
    creds = sorted((data / "creds").glob("*.json"))
    assert {p.stem for p in creds} >= {"adapter-lims", "adapter-deltav", "audit-writer", "orchestrator", "auditor",
                                       "console"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in creds)
    assert "Authorization Violation" in asyncio.run(_connect_without_credentials(endpoints["nats"]))

    answer = mllp_send(endpoints["adapters"]["lims_mllp"], corpus(ORU))
    assert "MSA|AA|220220550" in answer, answer
    listed = run("dlq", "list", "--format", "json", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr

    own = tmp_path / "lims-endpoints.json"
    adapter = Background("run", "adapter", "lims", "--data-dir", str(data), "--endpoints-file", str(own),
                         log_dir=tmp_path, env={"GXPLINK_LIMS_LIMS_URL": endpoints["sim"]["lims"]})
    try:
        mine = adapter.wait_for_endpoints(own, ("adapters",))
        assert "MSA|AA|" in mllp_send(mine["adapters"]["lims_mllp"], corpus(ORU))
    finally:
        assert adapter.stop() == 0, adapter.log()

    for _ in range(60):  # the audit writer appends what the adapter published
        trail = run("audit", "trail", "220220550", "--format", "json", "--data-dir", str(data))
        if trail.returncode == 0 and any(r["sourcesystem"] == "lims" for r in json.loads(trail.stdout or "[]")):
            break
        asyncio.run(asyncio.sleep(0.5))
    else:
        raise AssertionError(f"no LIMS record in the audit trail: {trail.stdout[-500:]} {trail.stderr[-500:]}")

    console = logged_in(endpoints["console"], "admin", (data / "creds" / "console-admin.password").read_text().strip())
    for page in ("/", "/dlq", "/components", "/audit?ident=220220550", "/workflows"):
        assert console.get(page).status_code == 200, page  # the console reads as its own NATS identity

    server_log = (data / "nats" / "nats-server.log").read_text()
    ours = [line for line in server_log.splitlines() if "Violation" in line and "Authorization" not in line]
    assert ours == [], ours[:5]
