"""P3 OPC UA: data changes/s through the DeltaV adapter into JetStream, CPU per change and RSS.

Four processes, so that each figure belongs to one program: the DeltaV simulator (its controllers
scan every `SCAN_SECONDS` instead of every 0.5 s, so its seven process values change often enough to
load a client), an embedded nats-server fsyncing every write, the DeltaV adapter composed as
`gxplink up` composes it (real ports: JetStream, SQLite, the shipped mappings) and, afterwards, a
bare asyncua subscription client on the same simulator. Adapter and bare client subscribe the same
PV nodes with the same publishing interval, queue size and security (Basic256Sha256
SignAndEncrypt, the service account), one after the other, each for the same window after a
warm-up.

Counted: JetStream messages stored on the PV subject during the adapter's window (the adapter's
deadband is set to 0, so every change is one message), and `datachange_notification` calls of the
bare client during its window. CPU is `time.process_time()` of the child process over the window
(everything it does: OPC UA decoding and decryption, translation, publish); RSS is its VmRSS at
the end of the window.

The children are `python -m gxplink.bench.opcua_roles <role> <json>`; they answer
"mark" on stdin with a JSON line of their counters and stop on "stop" (or when stdin closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from canonical_model.subjects import event_subject
from gxplink.bench.figures import BenchContext, Figure

SUBJECT = event_subject("deltav", "process_value_recorded")
STREAM = "GXP_EVENTS"
SCAN_SECONDS = 0.01  # the simulator's controller scan (DeltaV's own default here is 0.5 s)
PUBLISHING_INTERVAL_MS = 50.0  # 5 scans per publish: within the adapter's monitored-item queue of 10
QUEUE_SIZE = 10  # what the adapter asks for (adapters.deltav.client.session)
NODE_RED_US_PER_CHANGE = 29.0
START_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------- parent


class Child:
    """One child process of this benchmark, spoken to over stdin/stdout JSON lines."""

    def __init__(self, role: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.role, self.proc, self.log = role, proc, log

    @classmethod
    async def start(cls, role: str, args: dict[str, Any], log: Path) -> Child:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gxplink.bench.opcua_roles", role, json.dumps(args), cwd=str(ROOT), env=env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err)
        return cls(role, proc, log)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def read(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if not line:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"P3 {self.role} process gave no answer (exit code {self.proc.returncode}):\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def mark(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"mark\n")
        await self.proc.stdin.drain()
        return await self.read(10)

    async def stop(self) -> None:
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionError):
                self.proc.stdin.write(b"stop\n")
                await self.proc.stdin.drain()
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc; 0 where unreadable)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def stored(js: Any) -> int:
    """Messages the stream holds on the PV subject."""
    info = await js.stream_info(STREAM, subjects_filter=SUBJECT)
    return int((info.state.subjects or {}).get(SUBJECT, 0))


async def window(ctx: BenchContext, child: Child, warmup: float, duration: float,
                 count: Callable[[dict[str, Any]], Awaitable[int]], others: dict[str, int | None]) -> dict[str, Any]:
    """Changes, CPU seconds and RSS of one child over one window; `count(mark)` reads the changes so far."""
    await child.read()  # ready: connected and subscribed
    await asyncio.sleep(warmup)
    first = await child.mark()
    n0, o0, t0 = await count(first), {k: proc_cpu(p) for k, p in others.items()}, time.perf_counter()
    await asyncio.sleep(duration)
    last = await child.mark()
    n1, o1, t1 = await count(last), {k: proc_cpu(p) for k, p in others.items()}, time.perf_counter()
    result = {"changes": n1 - n0, "seconds": t1 - t0, "cpu": last["cpu"] - first["cpu"],
              "cpu_system": last["cpu_system"] - first["cpu_system"], "rss_mb": last["rss_mb"],
              "peak_rss_mb": last["peak_rss_mb"], "first": first, "last": last,
              "others_cpu": {k: o1[k] - o0[k] for k in others}}
    ctx.say(f"P3 {child.role}: {n1 - n0} changes in {t1 - t0:.1f}s, {result['cpu']:.2f}s CPU, "
            f"{last['rss_mb']:.0f} MB RSS")
    return result


def per_change_us(cpu: float, changes: int) -> float:
    return cpu / changes * 1e6 if changes else 0.0


async def run(ctx: BenchContext) -> dict[str, Figure]:
    from messaging.connection import connect
    from messaging.embedded import EmbeddedNats
    from messaging.streams import ensure_streams
    from simulators.deltav.plant import LOOPS_BY_TAG
    from simulators.deltav.server import NAMESPACE_URI

    duration, warmup = float(ctx.pick(2, 15, 60)), ctx.pick(1, 6, 10) / 2
    root = ctx.scratch("p3")
    server = EmbeddedNats(root, sync="always")
    url = await asyncio.to_thread(server.start)
    children: list[Child] = []
    nc = None
    try:
        nc = await connect(url, "bench-p3")
        js = nc.jetstream()
        await ensure_streams(js)
        sim = await Child.start("simulator", {"data_dir": str(root / "sim"), "scan_seconds": SCAN_SECONDS},
                                root / "simulator.log")
        children.append(sim)
        endpoints = (await sim.read())["endpoints"]
        common = {"url": endpoints["deltav"], "auth": endpoints["deltav_auth"], "queue_size": QUEUE_SIZE,
                  "publishing_interval_ms": PUBLISHING_INTERVAL_MS}
        others = {"simulator": sim.pid, "nats_server": server.pid}

        adapter = await Child.start("adapter", {**common, "nats_url": url, "data_dir": str(root / "adapter")},
                                    root / "adapter.log")
        children.append(adapter)
        ours = await window(ctx, adapter, warmup, duration, lambda _: stored(js), others)
        await adapter.stop()

        bare = await Child.start("bare", {**common, "namespace": NAMESPACE_URI, "tags": sorted(LOOPS_BY_TAG),
                                          "pki_dir": str(root / "bare-pki")}, root / "bare.log")
        children.append(bare)
        theirs = await window(ctx, bare, warmup, duration, notifications, others)
    finally:
        for child in reversed(children):
            with contextlib.suppress(Exception):
                await child.stop()
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()
        await asyncio.to_thread(server.stop)
    return figures(ours, theirs, len(LOOPS_BY_TAG))


async def notifications(mark: dict[str, Any]) -> int:
    return int(mark["changes"])


def figures(ours: dict[str, Any], theirs: dict[str, Any], tags: int) -> dict[str, Figure]:
    rate, bare_rate = ours["changes"] / ours["seconds"], theirs["changes"] / theirs["seconds"]
    cpu, bare_cpu = per_change_us(ours["cpu"], ours["changes"]), per_change_us(theirs["cpu"], theirs["changes"])
    first, last = ours["first"], ours["last"]
    setup = {"tags": tags, "scan_seconds": SCAN_SECONDS, "scan_set_by": "simulators.deltav.runtime.SCAN_SECONDS "
             "in the simulator's own process (the simulator has no option for it)",
             "publishing_interval_ms": PUBLISHING_INTERVAL_MS,
             "queue_size": QUEUE_SIZE, "security": "Basic256Sha256 SignAndEncrypt, user name",
             "window_seconds": round(ours["seconds"], 2)}
    adapter = {"deadband_percent": 0, "changes": ours["changes"],
               "received_in_window": _delta(first, last, "received"),
               "published_in_window": _delta(first, last, "published"),
               "inbox_depth_at_end": last.get("inbox"), "dropped_in_window": _delta(first, last, "dropped"),
               "bare_client_changes": theirs["changes"]}
    others = {f"{name}_us_per_change": round(per_change_us(seconds, ours["changes"]), 1)
              for name, seconds in ours["others_cpu"].items()}
    split = {"adapter_kernel_share": round(ours["cpu_system"] / ours["cpu"], 2) if ours["cpu"] else None,
             "bare_client_kernel_share": round(theirs["cpu_system"] / theirs["cpu"], 2) if theirs["cpu"] else None,
             "simulator_us_per_change_in_the_bare_window": round(
                 per_change_us(theirs["others_cpu"]["simulator"], theirs["changes"]), 1)}
    return {
        "opcua_changes": Figure(rate, "changes/s", bare_rate, "bare asyncua subscription client", goal_ratio=0.9,
                                durability="fsync every write", detail={**setup, **adapter}),
        "opcua_cpu_per_change": Figure(
            cpu, "us/change", bare_cpu, "bare asyncua subscription client", better="lower",
            goal_value=NODE_RED_US_PER_CHANGE, durability="fsync every write",
            detail={"reference": f"node-red-contrib-opcua {NODE_RED_US_PER_CHANGE:g} us/change",
                    "process": "the adapter's own process (OPC UA session, translation, JetStream publish)",
                    "outside_the_adapter_process": others, **split}),
        "opcua_rss": Figure(ours["rss_mb"], "MB", theirs["rss_mb"], "RSS of the bare asyncua client process",
                            better="lower", goal_value=90, durability="fsync every write",
                            detail={"reference": "node-red-contrib-opcua ~270 MB",
                                    "adapter_peak_rss_mb": round(ours["peak_rss_mb"], 1),
                                    "bare_client_peak_rss_mb": round(theirs["peak_rss_mb"], 1)}),
    }


def _delta(first: dict[str, Any], last: dict[str, Any], key: str) -> float | None:
    if first.get(key) is None or last.get(key) is None:
        return None
    return float(last[key]) - float(first[key])
