"""pytest plugin of `gxplink validate report`: which test proved which requirement, and how it ended.

`@pytest.mark.requirement("P11-002", "URS-005")` names the requirements a test proves. Loaded with
`-p validation.pytest_plugin --gxp-evidence FILE`, this writes one JSON document with every
requirement-linked test, its outcome and duration, when the session ends.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from validation.requirements import load

MARKER = "requirement"


def requirement_ids(item: pytest.Item) -> list[str]:
    return [str(i) for mark in item.iter_markers(MARKER) for i in mark.args]


def unknown_ids(items: list[pytest.Item]) -> list[str]:
    """`nodeid: id` for every marker naming a requirement the requirements file does not hold."""
    known = load().by_id()
    return [f"{item.nodeid}: {rid}" for item in items for rid in requirement_ids(item) if rid not in known]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--gxp-evidence", default=None, help="Write the requirement-linked test results here (JSON)")


class Evidence:
    def __init__(self, path: Path) -> None:
        self.path, self.started = path, time.time()
        self.tests: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids = requirement_ids(item)
            if ids:
                self.tests[item.nodeid] = {"nodeid": item.nodeid, "requirements": ids, "outcome": "not run",
                                           "duration": 0.0, "message": ""}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None:
            return
        test["duration"] = round(test["duration"] + report.duration, 3)
        if report.when == "call" or report.outcome != "passed":
            outcome: str = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
            if report.when != "call" and report.outcome == "failed":
                outcome = "error"
            if test["outcome"] in ("not run", "passed"):
                test["outcome"] = outcome
                test["message"] = str(report.longrepr)[-2000:] if report.outcome != "passed" else ""

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.path.write_text(json.dumps({"started": self.started, "finished": time.time(), "exitstatus": exitstatus,
                                         "tests": list(self.tests.values())}, indent=2))


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--gxp-evidence", default=None)
    if target:
        config.pluginmanager.register(Evidence(Path(target)), "gxp-evidence")
