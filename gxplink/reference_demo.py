"""`gxplink demo`: the reference CAR-T batch through all three built-in workflows, on the whole stack.

A process excursion opens a deviation and holds the batch; one release test comes back out of
specification and is then corrected; the deviations are closed with CAPAs; QA signs the release;
the ERP releases the lot. Killed at any moment (even SIGKILL), the same command resumes: every
system keeps its state under the data dir and every step checks where the plant is before acting.
"""

from __future__ import annotations

import collections
from pathlib import Path

from rich.console import Console

from gxplink.bootstrap import Stack, stack_components
from gxplink.endpoints import write_endpoints
from gxplink.runtime import Runtime
from gxplink.scenario.driver import ReferenceScenario
from gxplink.settings import Settings


async def run(settings: Settings, batch_id: str, out: Console, *, endpoints_file: Path | None = None,
              sign_in_console: bool = False) -> None:
    async with Runtime(settings, name="gxplink-demo", components=stack_components()) as runtime:
        stack = Stack(runtime, settings.data_dir)
        try:
            endpoints = await stack.start()
            if endpoints_file:
                write_endpoints(endpoints_file, endpoints)
            out.print(f"[bold]gxplink demo[/]: reference CAR-T batch {batch_id} (data in {settings.data_dir}); "
                      f"console {endpoints['console']}")
            scenario = ReferenceScenario(stack, batch_id, lambda line: out.print(f"  {line}"),
                                         signer_console=endpoints["console"] if sign_in_console else None)
            outcome = await scenario.run(timeout=3600.0 if sign_in_console else 540.0)
            await stack.audit.catch_up(timeout=60)
            await _summary(stack, batch_id, outcome, out)
            if outcome != "released":
                raise RuntimeError(f"batch {batch_id} ended {outcome}, not released")
        finally:
            runtime.begin_shutdown()
            await stack.stop()


async def _summary(stack: Stack, batch_id: str, outcome: str, out: Console) -> None:
    from orchestrator.audit.query import trail

    records = await trail(stack.runtime.engine, batch_id)
    per_system = collections.Counter(str(r.get("sourcesystem")) for r in records)
    signatures = [r for r in records if "signature" in f"{r.get('recordtype')} {r.get('action')}"]
    out.print(f"[green]lot L-{batch_id} {outcome}[/]; correlated audit trail: {len(records)} records "
              f"({', '.join(f'{s} {n}' for s, n in sorted(per_system.items()))}), {len(signatures)} signature(s)")
    out.print(f"  see it with: gxplink audit trail {batch_id} --data-dir {stack.data_dir}")
