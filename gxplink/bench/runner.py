"""`gxplink bench`: every benchmark in one process tree, each figure beside its same-run baseline."""

from __future__ import annotations

import importlib
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from gxplink.bench.figures import BenchContext, Benchmark, Figure, Size, machine

# Run in this order: the cheap, noise-sensitive throughput figures first, the heavy trail last.
BENCHMARKS: dict[str, str] = {
    "P1 pipeline and P7 memory": "gxplink.bench.pipeline",
    "P2 HL7 ingest": "gxplink.bench.hl7_ingest",
    "P3 OPC UA": "gxplink.bench.opcua",
    "P4 release latency": "gxplink.bench.release_latency",
    "P5 audit query and P6 audit verify": "gxplink.bench.audit",
}


def benchmark(module: str) -> Benchmark:
    found: Benchmark = importlib.import_module(module).run
    return found


async def run_all(size: Size, say: Any, only: list[str] | None = None) -> dict[str, Any]:
    """The report: the machine, the size and every figure (name -> value, unit, baseline, ratio, goal)."""
    logging.getLogger("faststream").setLevel(logging.WARNING)
    figures: dict[str, Figure] = {}
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="gxplink-bench-") as workdir:
        ctx = BenchContext(size, Path(workdir), say)
        for title, module in BENCHMARKS.items():
            if only and not any(o.lower() in title.lower() for o in only):
                continue
            say(f"{title} ...")
            started = time.perf_counter()
            figures.update(await benchmark(module)(ctx))
            timings[title] = round(time.perf_counter() - started, 1)
    return {"machine": machine(), "size": size, "seconds": timings,
            "figures": {name: figure.as_dict() for name, figure in figures.items()}}
