"""What a benchmark reports: a measured figure beside the baseline measured in the same run.

Machines are noisy, so a figure is only meaningful against its baseline; the ratio and whether the
issue's goal is met are computed here, the same way for every benchmark.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Durability = Literal["fsync every write", "server default (sync every 2 min)"]
Better = Literal["higher", "lower"]


@dataclass
class Figure:
    """One measured value, e.g. events/s through the pipeline, with the baseline it is compared with.

    `goal_ratio`: the value must reach this multiple of the baseline (higher is better) or stay under
    it (lower is better). `goal_value`: an absolute bound in `unit` instead, when the issue sets one.
    """

    value: float
    unit: str
    baseline: float | None
    baseline_name: str
    better: Better = "higher"
    goal_ratio: float | None = None
    goal_value: float | None = None
    durability: Durability | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def goal(self) -> str | None:
        sign = ">=" if self.better == "higher" else "<"
        if self.goal_value is not None:
            return f"{sign} {self.goal_value:g} {self.unit}"
        if self.goal_ratio is not None:
            return f"{sign} {self.goal_ratio:g} x baseline"
        return None

    @property
    def met(self) -> bool | None:
        if self.goal_value is not None:
            return self.value >= self.goal_value if self.better == "higher" else self.value < self.goal_value
        if self.goal_ratio is not None and self.ratio is not None:
            return self.ratio >= self.goal_ratio if self.better == "higher" else self.ratio < self.goal_ratio
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"value": round(self.value, 3), "unit": self.unit,
                "baseline": {"name": self.baseline_name,
                             "value": None if self.baseline is None else round(self.baseline, 3)},
                "ratio": None if self.ratio is None else round(self.ratio, 3), "goal": self.goal, "met": self.met,
                "durability": self.durability, **({"detail": self.detail} if self.detail else {})}


Size = Literal["tiny", "quick", "full"]


@dataclass
class BenchContext:
    """What every benchmark gets: the size of the run and a scratch directory of its own.

    `tiny` is for the tests (does it run end to end and report every figure), `quick` for
    `gxplink bench --quick` (under 3 minutes on 2 cores in all), `full` for the published table.
    """

    size: Size
    workdir: Path
    say: Callable[[str], None] = print

    def pick(self, tiny: int, quick: int, full: int) -> int:
        return {"tiny": tiny, "quick": quick, "full": full}[self.size]

    def scratch(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))


Benchmark = Callable[[BenchContext], Awaitable[dict[str, Figure]]]


def percentile(samples: Iterable[float], q: float) -> float:
    """q in (0, 100]; nearest-rank on the sorted samples."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(samples: Iterable[float]) -> float:
    return statistics.median(list(samples))


def rss_mb(pids: list[int]) -> float:
    """Resident set size of processes, summed, in MB (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False)
