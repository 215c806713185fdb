"""Requirements as data, the traceability statuses, and signatures bound to a report's bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from validation.evidence import TestResult, summary, trace
from validation.requirements import RequirementsError, load, parse
from validation.signing import sign, verify

pytestmark = pytest.mark.unit
REQ = """
version: 1
requirements:
  - {id: URS-001, kind: user, risk: high, title: T1, text: X}
  - {id: P11-001, kind: regulatory, risk: high, title: T2, text: Y, refs: ["21 CFR 11.10(e)"]}
  - {id: FRS-001, kind: functional, risk: low, title: T3, text: Z}
"""


def test_the_shipped_requirements_load_and_cover_the_part_11_checklist() -> None:
    found = load()
    ids = [r.id for r in found.requirements]
    assert len(ids) == len(set(ids)) and found.version >= 1
    refs = " ".join(ref for r in found.requirements for ref in r.refs)
    for clause in ("11.10(e)", "11.50", "11.70", "11.10(f)", "Annex 11 §5", "Annex 11 §8.1", "Annex 11 §9"):
        assert clause in refs, f"the Part 11 / Annex 11 checklist names {clause}"


@pytest.mark.parametrize(("text", "says"), [
    (REQ.replace("URS-001", "URS-1"), "id"),
    (REQ.replace("FRS-001", "URS-001"), "used twice: URS-001"),
    (REQ.replace("risk: low", "risk: whatever"), "risk"),
    ("version: 1\nrequirements: [", "requirements.yaml"),
])
def test_a_bad_requirements_file_is_refused_saying_where(text: str, says: str) -> None:
    with pytest.raises(RequirementsError, match=says):
        parse(text)


def test_a_requirement_is_proven_only_by_tests_that_ran_and_passed() -> None:
    reqs = parse(REQ)
    tests = [TestResult("a", ("URS-001",), "passed", 0.1), TestResult("b", ("URS-001", "P11-001"), "passed", 0.1),
             TestResult("c", ("P11-001",), "failed", 0.1), TestResult("d", ("FRS-001",), "skipped", 0.0)]
    status = {t.requirement.id: t.status for t in trace(reqs, tests)}
    assert status == {"URS-001": "proven", "P11-001": "failed", "FRS-001": "not proven"}
    assert summary(trace(reqs, tests), tests) == {"requirements": 3, "proven": 1, "failed": 1, "not proven": 1,
                                                  "tests": 4, "tests passed": 2}


def test_a_signature_binds_to_the_report_bytes(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("<html>evidence</html>")
    signature = sign(report, {"user_id": "qa.lead", "name": "Quinn Lead"}, "approved", "IQ/OQ complete")
    assert signature.record_hash and signature.signer_name == "Quinn Lead"
    ok, lines = verify(report)
    assert ok and "Quinn Lead (qa.lead), approved" in lines[-1]
    report.write_text("<html>evidence, edited</html>")
    ok, lines = verify(report)
    assert not ok and "NOT for this content" in lines[-1]
    with pytest.raises(ValueError, match="choose"):
        sign(report, {"user_id": "x", "name": "X"}, "authored", None)


def test_the_plugin_records_which_test_proved_which_requirement(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.requirement('URS-001')\ndef test_ok():\n    assert True\n\n"
        "@pytest.mark.requirement('URS-001', 'P11-001')\ndef test_bad():\n    assert False\n\n"
        "def test_unlinked():\n    assert True\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    requirement: r\n")
    evidence = tmp_path / "evidence.json"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "validation.pytest_plugin", "-m", "requirement",
                    "--gxp-evidence", str(evidence), "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
                   cwd=tmp_path, capture_output=True, check=False, timeout=120)
    found = {t["nodeid"].split("::")[-1]: t for t in json.loads(evidence.read_text())["tests"]}
    assert set(found) == {"test_ok", "test_bad"}
    assert found["test_ok"]["outcome"] == "passed" and found["test_bad"]["outcome"] == "failed"
    bad = found["test_bad"]
    assert bad["requirements"] == ["URS-001", "P11-001"] and "assert False" in bad["message"]
