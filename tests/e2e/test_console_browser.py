"""The console in headless Chromium, on the reference batch, with QA signing the release there.

`gxplink demo --sign-in-console` runs the CAR-T batch and leaves the release signature to a person:
QA logs in, watches the batch status update live (server-sent events), opens the task, signs it
with a meaning and the password again, and the demo ends with the lot released. An auditor then
reads the trail: the timeline, a record with its signature manifestation, CSV and PDF exports.
Screenshots of the main views are kept as artifacts, and axe-core checks each main page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import accessibility_violations, artifacts_dir, chromium_path
from tests.support.cli import Background, run

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
BATCH = "CART-WEB-0001"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


def log_in(page: Any, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User id").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(artifacts_dir() / f"{name}.png"), full_page=True)


def check_accessible(page: Any, name: str) -> None:
    problems = accessibility_violations(page)
    assert not problems, f"{name}: {problems}"


@pytest.mark.requirement("URS-008", "P11-005")
def test_qa_signs_the_release_in_the_console_and_an_auditor_reads_the_trail(tmp_path: Path, browser: Any) -> None:
    data, endpoints_file = tmp_path / "data", tmp_path / "endpoints.json"
    demo = Background("demo", "--data-dir", str(data), "--batch-id", BATCH, "--sign-in-console",
                      "--endpoints-file", str(endpoints_file), log_dir=tmp_path)
    try:
        base = demo.wait_for_endpoints(endpoints_file, ("console",), timeout=90)["console"]
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()

        page.goto(f"{base}/audit")
        assert "/login" in page.url, "an unauthenticated visitor is sent to the login form"
        check_accessible(page, "login")
        shoot(page, "login")

        qa_password = (data / "scenario" / "qa-demo-password").read_text()
        page.get_by_label("User id").fill("qa.demo")
        page.get_by_label("Password").fill("wrong password!")
        page.get_by_role("button", name="Log in").click()
        assert page.get_by_role("alert").inner_text().startswith("Wrong user id or password")
        page.get_by_label("Password").fill(qa_password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/audit")

        page.goto(base + "/")
        page.get_by_text("live", exact=True).wait_for(timeout=20_000)
        row = page.locator(f'#board tr[data-batch="{BATCH}"]')
        row.wait_for(timeout=120_000)  # arrives over server-sent events while the batch runs
        row.locator('td[data-system="mes"] span').wait_for(timeout=60_000)
        check_accessible(page, "board")
        shoot(page, "board")

        page.goto(f"{base}/workflows")
        tasks = page.locator("section[aria-labelledby=tasks-h]")
        task_link = tasks.get_by_role("link", name=re.compile(rf"Approve lot L-{BATCH}", re.I))
        for _ in range(120):  # the release task opens once the batch record is complete
            if task_link.count():
                break
            page.wait_for_timeout(2000)
            page.reload()
        check_accessible(page, "workflows")
        shoot(page, "workflows")
        task_link.click()
        page.get_by_role("group", name="Meaning of your signature").wait_for()
        check_accessible(page, "task")
        shoot(page, "task")
        page.get_by_label("approved").check()
        page.get_by_label("Comment (optional)").fill("reviewed in the console: results in specification")
        page.get_by_label(re.compile("Your password")).fill(qa_password)
        page.get_by_role("button", name="Sign").click()
        page.wait_for_url(re.compile(r"/workflows/"))
        assert "signed by Dana Demo (QA) (approved)" in page.content()

        assert demo.proc.wait(300) == 0, demo.log()
        assert "released" in demo.log()
        context.close()
    finally:
        demo.stop()

    _auditor_reads_the_trail(tmp_path, data, browser)


def _auditor_reads_the_trail(tmp_path: Path, data: Path, browser: Any) -> None:
    password = tmp_path / "auditor-password"
    password.write_text("auditor-reads-only-1")
    password.chmod(0o600)
    added = run("users", "add", "aud.itor", "--name", "Avery Auditor", "--role", "auditor",
                "--password-file", str(password), "--data-dir", str(data))
    assert added.returncode == 0, added.stderr
    endpoints_file = tmp_path / "up.json"
    up = Background("up", "--data-dir", str(data), "--endpoints-file", str(endpoints_file), log_dir=tmp_path)
    try:
        base = up.wait_for_endpoints(endpoints_file, ("console",), timeout=90)["console"]
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page = context.new_page()
        log_in(page, base, "aud.itor", "auditor-reads-only-1")

        page.goto(f"{base}/audit")
        page.get_by_label(re.compile("Batch, lot, sample")).fill(BATCH)
        page.get_by_role("button", name="Search").click()
        page.locator("#timeline").wait_for()
        assert "audit trail intact" in page.locator("#chain").inner_text()
        systems = {s for s in ("MES", "LIMS", "QMS", "ERP", "DeltaV", "gxplink")
                   if page.locator("#timeline td").filter(has_text=re.compile(r"\w")).count()}
        assert systems, "the timeline shows records"
        manifestation = page.locator("section[aria-labelledby=sig-h]")
        assert "Dana Demo (QA)" in manifestation.inner_text() and "approved" in manifestation.inner_text()
        check_accessible(page, "audit")
        shoot(page, "audit-timeline")

        with page.expect_download() as csv_download:
            page.get_by_role("link", name="CSV").click()
        csv_text = Path(csv_download.value.path()).read_text()
        assert csv_text.count("\n") > 10 and BATCH in csv_text
        with page.expect_download() as pdf_download:
            page.get_by_role("link", name="PDF").click()
        assert Path(pdf_download.value.path()).read_bytes()[:4] == b"%PDF"

        signed = manifestation.get_by_role("listitem").filter(has_text="Dana Demo (QA)")
        signed.get_by_role("link", name="record").click()
        page.locator("#changes").wait_for()
        assert "Dana Demo (QA)" in page.locator(".manifestation").inner_text()
        check_accessible(page, "record")
        shoot(page, "audit-record")

        for path, name in (("/dlq", "dead-letters"), ("/components", "health")):
            page.goto(base + path)
            check_accessible(page, name)
            shoot(page, name)
        assert page.locator("#components td.up").count() >= 5, page.locator("#components").inner_text()

        page.goto(f"{base}/admin/users")
        assert "may not do this" in page.content(), "an auditor cannot reach user administration"
        context.close()
    finally:
        assert up.stop() == 0, up.log()

    def actions(*args: str) -> set[str]:
        trail = run("audit", "trail", *args, "--format", "json", "--data-dir", str(data))
        assert trail.returncode == 0, trail.stderr
        return {r["action"] for r in json.loads(trail.stdout)}

    assert "login" in actions("aud.itor")
    read = actions(BATCH, "--user", "aud.itor")
    assert {"audit_search", "audit_export"} <= read, f"the batch's trail says who read it: {read}"
