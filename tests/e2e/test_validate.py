"""`gxplink validate` from a checkout: the report (HTML and PDF) with its matrix, IQ and OQ, signed by a
user who re-authenticates, and verification that fails once the report is edited."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run

pytestmark = pytest.mark.e2e
SUBSET = "tests/unit/validation/test_evidence.py"  # the full run is `gxplink validate report` itself


def test_report_sign_and_verify(tmp_path: Path, project_root: Path) -> None:
    html = tmp_path / "report.html"
    made = run("validate", "report", "--out", str(html), "--tests", str(project_root / SUBSET),
               "--data-dir", str(tmp_path / "d"), cwd=project_root, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    assert "requirements proven" in made.stdout and "not proven" in made.stdout
    page = html.read_text()
    for part in ("Traceability matrix", "Installation qualification", "Operational qualification", "nats-server",
                 "P11-001", "SQLite", "Requirements not proven"):
        assert part in page, part
    assert (tmp_path / "report.html.sha256").read_text().split()[1] == "report.html"

    password = tmp_path / "pw"
    password.write_text("validation-lead-pw")
    password.chmod(0o600)
    data = str(tmp_path / "d")
    assert run("users", "add", "qa.lead", "--name", "Quinn Lead", "--role", "qa", "--password-file", str(password),
               "--data-dir", data).returncode == 0
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    wrong.chmod(0o600)
    refused = run("validate", "sign", str(html), "--user", "qa.lead", "--meaning", "approved",
                  "--password-file", str(wrong), "--data-dir", data)
    assert refused.returncode != 0 and "wrong" in refused.stderr
    signed = run("validate", "sign", str(html), "--user", "qa.lead", "--meaning", "approved", "--password-file",
                 str(password), "--reason", "OQ executed as planned", "--data-dir", data)
    assert signed.returncode == 0, signed.stderr
    checked = run("validate", "verify", str(html))
    assert checked.returncode == 0 and "Quinn Lead (qa.lead), approved" in checked.stdout

    html.write_text(page.replace("Traceability", "Traceabi1ity"))
    assert run("validate", "verify", str(html)).returncode == 1

    pdf = tmp_path / "report.pdf"
    made = run("validate", "report", "--format", "pdf", "--out", str(pdf), "--tests", str(project_root / SUBSET),
               cwd=project_root, timeout=300)
    assert made.returncode == 0 and pdf.read_bytes()[:4] == b"%PDF", made.stderr[-2000:]
