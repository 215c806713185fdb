"""`gxplink bench`: throughput, latency and memory, each against a baseline measured in the same run."""

from __future__ import annotations

import asyncio
import sys

import typer

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import Format, OutputFormat


@friendly_errors
def bench(quick: bool = typer.Option(False, "--quick", help="Smaller runs: about 3 minutes on 2 cores"),
          output: OutputFormat = Format,
          only: list[str] = typer.Option([], "--only", help="Run only benchmarks whose title contains this "
                                                            "(e.g. P2, audit); repeatable")) -> None:
    """Run the benchmarks (P1 pipeline ... P7 memory) and print each figure with its baseline and goal."""
    from gxplink.bench.figures import to_json
    from gxplink.bench.runner import run_all

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    report = asyncio.run(run_all("quick" if quick else "full", say, only or None))
    if output == OutputFormat.json:
        typer.echo(to_json(report))
        return
    _table(report)


def _table(report: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"gxplink bench ({report['size']}) on {report['machine']}")
    for column in ("figure", "value", "baseline", "ratio", "goal", "met", "durability"):
        table.add_column(column)
    figures = report["figures"]
    assert isinstance(figures, dict)
    for name, f in figures.items():
        baseline = f["baseline"]
        table.add_row(name, f"{f['value']:,} {f['unit']}",
                      "-" if baseline["value"] is None else f"{baseline['value']:,} ({baseline['name']})",
                      "-" if f["ratio"] is None else f"{f['ratio']:.2f}", f["goal"] or "-",
                      {True: "yes", False: "NO", None: "-"}[f["met"]], f["durability"] or "-")
    Console().print(table)
