"""Tech transfer through the CLI: two instances, a package exported, approved and sealed by the sponsor's
QA, sent over the link, received and diffed by the CDMO; a tampered copy refused with the reason; and
`gxplink transfer demo` provisioning the CDMO's MES, LIMS and ERP end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import Background, processes_mentioning, run

pytestmark = pytest.mark.e2e


def _user(data: Path, user: str, tmp: Path) -> Path:
    secret = tmp / f"{user}.pw"
    secret.write_text(f"{user}-password-123")
    secret.chmod(0o600)
    added = run("users", "add", user, "--name", user.title(), "--role", "qa", "--password-file", str(secret),
                "--data-dir", str(data))
    assert added.returncode == 0, added.stderr
    return secret


@pytest.mark.requirement("P11-010")
def test_export_send_status_diff_and_a_tampered_import(tmp_path: Path) -> None:
    sponsor_dir, cdmo_dir = tmp_path / "sponsor", tmp_path / "cdmo"
    sponsor = Background("up", "--instance", "sponsor", "--data-dir", str(sponsor_dir), "--endpoints-file",
                         str(tmp_path / "s.json"), log_dir=tmp_path)
    cdmo = None
    try:
        link = sponsor.wait_for_endpoints(tmp_path / "s.json", ("transfer_link",), timeout=90)["transfer_link"]
        cdmo = Background("up", "--instance", "cdmo", "--link", link, "--data-dir", str(cdmo_dir),
                          "--endpoints-file", str(tmp_path / "c.json"), log_dir=tmp_path)
        cdmo.wait_for_endpoints(tmp_path / "c.json", ("console",), timeout=90)
        secret = _user(sponsor_dir, "sponsor.qa", tmp_path)

        wrong = tmp_path / "wrong.pw"
        wrong.write_text("not-the-password")
        wrong.chmod(0o600)
        refused = run("transfer", "export", "--approver", "sponsor.qa", "--password-file", str(wrong),
                      "--transfer-id", "TT-E2E-1", "--data-dir", str(sponsor_dir))
        assert refused.returncode != 0 and "wrong" in refused.stderr, "approving needs the right password"

        package = tmp_path / "TT-E2E-1.json"
        exported = run("transfer", "export", "--approver", "sponsor.qa", "--password-file", str(secret),
                       "--transfer-id", "TT-E2E-1", "--out", str(package), "--data-dir", str(sponsor_dir))
        assert exported.returncode == 0 and "approved by Sponsor.Qa" in exported.stdout, exported.stderr
        doc = json.loads(package.read_text())
        assert doc["approval"]["record_hash"] == doc["content_hash"] and doc["seal"]["algorithm"] == "Ed25519"

        sent = run("transfer", "send", str(package), "--data-dir", str(sponsor_dir), timeout=120)
        assert sent.returncode == 0 and "TT-E2E-1: received at CAM" in sent.stdout, sent.stdout + sent.stderr
        status = run("transfer", "status", "TT-E2E-1", "--format", "json", "--data-dir", str(sponsor_dir))
        assert [s["status"] for s in json.loads(status.stdout)] == ["received"]
        diff = run("transfer", "diff", "TT-E2E-1", "--data-dir", str(sponsor_dir))
        assert diff.returncode == 0 and "first version" in diff.stdout

        doc["definition"]["master_recipe"]["unit_procedures"][0]["operations"][0]["phases"][0]["name"] = "Edited"
        doc["transfer_id"] = "TT-E2E-2"
        tampered = tmp_path / "tampered.json"
        tampered.write_text(json.dumps(doc))
        imported = run("transfer", "import", str(tampered), "--data-dir", str(cdmo_dir), timeout=120)
        assert imported.returncode == 1 and "refused" in imported.stdout and "hash" in imported.stdout, \
            imported.stdout + imported.stderr
        edited = tmp_path / "edited.json"
        newer = json.loads(package.read_text())
        newer["definition"]["master_recipe"]["unit_procedures"][0]["operations"][0]["phases"][0]["name"] = "Edited"
        edited.write_text(json.dumps(newer))
        offline = run("transfer", "diff", str(package), str(edited), "--format", "json")
        assert offline.returncode == 0 and json.loads(offline.stdout)["changes"], offline.stdout + offline.stderr
    finally:
        if cdmo is not None:
            assert cdmo.stop() == 0, cdmo.log()
        assert sponsor.stop() == 0, sponsor.log()
    trail = run("audit", "trail", "TT-E2E-2", "--format", "json", "--data-dir", str(cdmo_dir))
    assert any(r["action"] == "status_reported" for r in json.loads(trail.stdout)), "the refusal is in the trail"


@pytest.mark.slow
@pytest.mark.requirement("URS-009")
def test_transfer_demo_provisions_the_cdmo_and_acknowledges_the_sponsor(tmp_path: Path) -> None:
    demo = run("transfer", "demo", "--data-dir", str(tmp_path), timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "provisioned at the CDMO" in demo.stdout
    transfer_id = re.findall(r"TT-DEMO-[0-9A-F]+", demo.stdout)[0]
    for side in ("sponsor", "cdmo"):
        assert run("audit", "verify", "--data-dir", str(tmp_path / side)).returncode == 0
        trail = json.loads(run("audit", "trail", transfer_id, "--format", "json", "--data-dir",
                               str(tmp_path / side)).stdout)
        assert any(r["action"] == "package_sent" for r in trail), f"{side}'s trail carries the transfer"
    cdmo_trail = json.loads(run("audit", "trail", transfer_id, "--format", "json", "--data-dir",
                                str(tmp_path / "cdmo")).stdout)
    succeeded = {r["sourcesystem"] for r in cdmo_trail if r["action"] == "command_succeeded"}
    assert {"mes", "lims", "erp"} <= succeeded, succeeded
    assert processes_mentioning(str(tmp_path)) == []
