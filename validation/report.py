"""`gxplink validate report`: run the requirement-linked tests and write the validation report.

The report is HTML (to read and archive) or PDF (to print and sign on paper); either way its
sha256 is written beside it (`<report>.sha256`, sha256sum's format) so a signature can bind to it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from validation.evidence import TestResult, Trace, results, summary, trace
from validation.qualification import Installation, Run, installation, run_facts
from validation.requirements import Requirements, load


@dataclass
class Report:
    generated: str
    requirements_version: int
    traces: list[Trace]
    tests: list[TestResult]
    installation: Installation
    run: Run
    exitstatus: int

    @property
    def summary(self) -> dict[str, int]:
        return summary(self.traces, self.tests)

    @property
    def flagged(self) -> list[Trace]:
        return [t for t in self.traces if t.status != "proven"]


def project_root(tests: Path) -> Path:
    """The checkout the tests belong to (pytest must run where pyproject.toml is)."""
    tests = tests.resolve()
    if not tests.exists():
        raise FileNotFoundError(f"no tests at {tests}: run `gxplink validate report` in a gxplink checkout "
                                "(the tests are part of the validation evidence)")
    for parent in (tests, *tests.parents):
        if (parent / "pyproject.toml").exists():
            return parent
    raise FileNotFoundError(f"{tests} is not inside a project (no pyproject.toml above it)")


def run_tests(tests: Path, extra: list[str]) -> tuple[dict[str, Any], list[str], datetime, datetime]:
    if importlib.util.find_spec("pytest") is None:
        raise RuntimeError("the validation run needs the test tools: pip install '.[test]'")
    root = project_root(tests)
    with tempfile.TemporaryDirectory() as tmp:
        evidence = Path(tmp) / "evidence.json"
        command = [sys.executable, "-m", "pytest", "-m", "requirement", "-p", "validation.pytest_plugin",
                   "--gxp-evidence", str(evidence), "-q", "-p", "no:cacheprovider", str(tests.resolve()), *extra]
        started = datetime.now(UTC)
        subprocess.run(command, cwd=root, check=False)
        finished = datetime.now(UTC)
        if not evidence.exists():
            raise RuntimeError("pytest did not write the evidence (did collection fail? see its output above)")
        return json.loads(evidence.read_text()), command, started, finished


def build(settings: Any, evidence: dict[str, Any], command: list[str], started: datetime, finished: datetime,
          requirements: Requirements | None = None) -> Report:
    requirements = requirements or load()
    tests = results(evidence)
    return Report(generated=datetime.now(UTC).isoformat(timespec="seconds"),
                  requirements_version=requirements.version, traces=trace(requirements, tests), tests=tests,
                  installation=installation(settings), run=run_facts(started, finished, command, Path.cwd()),
                  exitstatus=int(evidence.get("exitstatus", -1)))


def render_html(report: Report) -> bytes:
    env = Environment(loader=PackageLoader("validation"), autoescape=select_autoescape(["html"]))
    return env.get_template("report.html").render(report=report).encode("utf-8")


def write(report: Report, out: Path, fmt: str) -> str:
    """Write the report and its `.sha256`; returns the hash."""
    if fmt == "pdf":
        from validation.pdf import render_pdf

        content = render_pdf(report)
    else:
        content = render_html(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    Path(f"{out}.sha256").write_text(f"{digest}  {out.name}\n")
    return digest
