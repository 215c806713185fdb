"""The console on a running `gxplink up`, over plain HTTP: roles, CSRF, dead-letter replay, live events,
and a second console process (`gxplink run console`) sharing the sessions through the database."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_cli_adapters import raw_frame
from tests.support.cli import Background, processes_mentioning, run

pytestmark = pytest.mark.e2e
PASSWORDS = {"op.erator": ("operator", "operator-password-1"), "aud.itor": ("auditor", "auditor-password-1")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path]]:
    tmp = tmp_path_factory.mktemp("console")
    data, endpoints_file = tmp / "up", tmp / "endpoints.json"
    up = Background("up", "--data-dir", str(data), "--endpoints-file", str(endpoints_file), log_dir=tmp)
    try:
        endpoints = up.wait_for_endpoints(endpoints_file, ("console", "adapters", "sim_admin"), timeout=90)
        for user, (role, password) in PASSWORDS.items():
            secret = tmp / f"{user}.password"
            secret.write_text(password)
            secret.chmod(0o600)
            added = run("users", "add", user, "--name", user.title(), "--role", role, "--password-file", str(secret),
                        "--data-dir", str(data))
            assert added.returncode == 0, added.stderr
        yield endpoints, data
    finally:
        assert up.stop() == 0, up.log()
        assert processes_mentioning(str(data)) == []


def logged_in(base: str, user: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, headers={"Accept": "text/html"})
    form = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form)
    assert token, form
    answer = client.post("/login", data={"user_id": user, "password": password, "login_token": token[1], "next": "/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return client


def csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found[1]


def test_nothing_without_a_login(stack: tuple[dict[str, Any], Path]) -> None:
    base = stack[0]["console"]
    for path in ("/", "/workflows", "/dlq", "/components", "/audit?ident=CART-2025-0001",
                 "/audit/export.csv?ident=CART-2025-0001", "/admin/users"):
        answer = httpx.get(base + path, timeout=10)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    assert httpx.get(f"{base}/events/board", timeout=10).status_code == 401
    assert httpx.post(f"{base}/dlq/x/replay", data={"reason": "r"}, timeout=10).status_code == 401


@pytest.mark.requirement("URS-008", "P11-008")
def test_only_operators_replay_dead_letters_and_the_replay_is_audited(stack: tuple[dict[str, Any], Path]) -> None:
    endpoints, data = stack
    assert b"MSA|AR" in raw_frame(endpoints["adapters"]["lims_mllp"], b"NOT|HL7|FROM|THE|CONSOLE|TEST\r")
    operator = logged_in(endpoints["console"], "op.erator", PASSWORDS["op.erator"][1])
    auditor = logged_in(endpoints["console"], "aud.itor", PASSWORDS["aud.itor"][1])
    letter_id = ""
    for _ in range(50):
        found = re.search(r'href="/dlq/([0-9a-f-]+)"', operator.get("/dlq").text)
        if found:
            letter_id = found[1]
            break
        time.sleep(0.2)
    assert letter_id, "the dead letter is listed"
    page = auditor.get(f"/dlq/{letter_id}").text
    assert "NOT|HL7|FROM|THE|CONSOLE|TEST" in page and "/replay" not in page, "auditors see it, without a replay form"
    refused = auditor.post(f"/dlq/{letter_id}/replay", data={"csrf_token": csrf(auditor, "/dlq"), "reason": "x"})
    assert refused.status_code == 403

    token = csrf(operator, f"/dlq/{letter_id}")
    assert operator.post(f"/dlq/{letter_id}/replay", data={"reason": "fixed"}).status_code == 403, "no CSRF token"
    assert operator.post(f"/dlq/{letter_id}/replay", data={"csrf_token": token, "reason": ""}).status_code == 400
    replayed = operator.post(f"/dlq/{letter_id}/replay", data={"csrf_token": token, "reason": "mapping fixed"})
    assert replayed.status_code == 200 and "Replay refused" in replayed.text  # still not HL7: refused again

    for _ in range(50):
        trail = run("audit", "trail", letter_id, "--format", "json", "--data-dir", str(data))
        records = json.loads(trail.stdout) if trail.returncode == 0 else []
        replays = [r for r in records if r["action"] == "replay"]
        if replays:
            break
        time.sleep(0.3)
    assert replays and replays[0]["user"] == "op.erator" and replays[0]["reason"] == "mapping fixed", records


@pytest.mark.requirement("URS-008")
def test_batch_status_arrives_as_server_sent_events(stack: tuple[dict[str, Any], Path]) -> None:
    endpoints, _ = stack
    client = logged_in(endpoints["console"], "aud.itor", PASSWORDS["aud.itor"][1])
    seen: list[str] = []

    def listen() -> None:
        with client.stream("GET", "/events/board", headers={"Accept": "text/event-stream"},
                           timeout=httpx.Timeout(10, read=90)) as events:
            for line in events.iter_lines():
                seen.append(line)
                if "CART-SSE-0001" in line:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(1.0)
    created = httpx.post(f"{endpoints['sim_admin']}/sims/mes/actions/create_batch",
                         json={"batch_id": "CART-SSE-0001"}, timeout=30)
    assert created.status_code == 200, created.text
    listener.join(90)
    assert any(line.startswith("data:") and "CART-SSE-0001" in line for line in seen), seen[-5:]
    assert "event: batch" in seen


def test_a_second_console_process_shares_the_sessions(stack: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    endpoints, data = stack
    first = logged_in(endpoints["console"], "aud.itor", PASSWORDS["aud.itor"][1])
    own = tmp_path / "console.json"
    second = Background("run", "console", "--data-dir", str(data), "--endpoints-file", str(own), log_dir=tmp_path,
                        env={"GXPLINK_CONSOLE_HEALTH_URLS": f"{endpoints['health']}/health"})
    try:
        url = second.wait_for_endpoints(own, ("console", "health"))["console"]
        assert url != endpoints["console"]
        page = httpx.get(f"{url}/components", cookies=first.cookies, timeout=30)
        assert page.status_code == 200 and "aud.itor" in page.text, "the session works on either console"
        assert re.search(r"<th scope=\"row\">lims</th><td class=\"up\">", page.text), page.text
    finally:
        assert second.stop() == 0, second.log()
