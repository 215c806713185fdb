"""The traceability matrix: each requirement, the tests that declare it, and what that proves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validation.requirements import Requirement, Requirements


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # a result, not a test class for pytest to collect

    nodeid: str
    requirements: tuple[str, ...]
    outcome: str  # passed, failed, error, skipped, xfailed, not run
    duration: float
    message: str = ""


@dataclass
class Trace:
    requirement: Requirement
    tests: list[TestResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        """proven: tests ran and all passed; failed: one did not; not proven: no test ran to prove it."""
        ran = [t for t in self.tests if t.outcome not in ("skipped", "not run")]
        if any(t.outcome in ("failed", "error", "xfailed") for t in ran):
            return "failed"
        return "proven" if ran and all(t.outcome == "passed" for t in ran) else "not proven"


def results(evidence: dict[str, Any]) -> list[TestResult]:
    return [TestResult(t["nodeid"], tuple(t["requirements"]), t["outcome"], float(t["duration"]), t.get("message", ""))
            for t in evidence.get("tests", [])]


def trace(requirements: Requirements, tests: list[TestResult]) -> list[Trace]:
    traces = {r.id: Trace(r) for r in requirements.requirements}
    for test in tests:
        for rid in test.requirements:
            if rid in traces:
                traces[rid].tests.append(test)
    return list(traces.values())


def summary(traces: list[Trace], tests: list[TestResult]) -> dict[str, int]:
    counts = {"requirements": len(traces), "proven": 0, "failed": 0, "not proven": 0}
    for t in traces:
        counts[t.status] += 1
    counts["tests"] = len(tests)
    counts["tests passed"] = sum(t.outcome == "passed" for t in tests)
    return counts
