"""A plant of separate gxplink processes for the chaos and cluster suites, and what they check after.

The simulators run as one `gxplink sim up`; each component (`gxplink run adapter X`, `run
orchestrator`, `run audit-writer`) is its own process, restartable with the arguments it first
had; nats-server nodes are owned by the test so it can SIGKILL and restart them on the same port
and store. The checks read the systems' own state (LIMS orders, MES QC summaries) and the audit
store, so "nothing lost, nothing done twice" is judged by the plant, not by gxplink's counters.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from messaging.connection import connect
from messaging.dead_letters import DeadLetter, list_dead_letters
from messaging.embedded import EmbeddedNats
from orchestrator.audit.keys import load_verifier
from orchestrator.audit.schema import records
from orchestrator.audit.verify import verify
from orchestrator.engine.store import WorkflowStore
from storage.engine import make_engine
from tests.support.cli import Background

STEPS_WITH_SAMPLES = 7  # PH-0601 pulls the in-process sample, PH-0701 the release sample


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cluster(root: Path, nodes: int) -> list[EmbeddedNats]:
    """`nodes` nats-servers with JetStream in one cluster on loopback (one plain server when nodes == 1)."""
    if nodes == 1:
        return [EmbeddedNats(root / "nats-1")]
    ports = [free_port() for _ in range(nodes)]
    routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in ports)
    return [EmbeddedNats(root / f"nats-{n + 1}", server_name=f"gxplink-n{n + 1}",
                         extra_config=f"cluster {{\n  name: gxplink-scale\n  listen: 127.0.0.1:{port}\n"
                                      f"  routes: [{routes}]\n}}\n")
            for n, port in enumerate(ports)]


@dataclass
class Plant:
    tmp: Path
    data: Path
    nats: list[EmbeddedNats]
    env: dict[str, str]
    db_url: str
    admin: str = ""
    sim: dict[str, Any] = field(default_factory=dict)
    procs: dict[str, Background] = field(default_factory=dict)
    specs: dict[str, tuple[tuple[str, ...], dict[str, str]]] = field(default_factory=dict)
    kills: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def nats_url(self) -> str:
        return ",".join(node.url for node in self.nats)

    def start(self, name: str, args: tuple[str, ...], env: dict[str, str] | None = None) -> None:
        self.specs[name] = (args, env or {})
        self.procs[name] = Background(*args, "--data-dir", str(self.data), log_dir=self.tmp,
                                      env={**self.env, **(env or {})})

    def start_adapter(self, system: str, **extra: str) -> None:
        self.start(system, ("run", "adapter", system), {**adapter_env(system, self.sim, self.tmp), **extra})

    def kill(self, name: str, down_for: float = 1.0, restart: bool = True) -> None:
        """SIGKILL a component (or `nats-<n>`), then start it again after `down_for` seconds."""
        if name.startswith("nats"):
            node = self.nats[int(name.partition("-")[2] or 1) - 1]
            assert node.process is not None
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait(10)
            time.sleep(down_for)
            if restart:
                node.start()  # same port, same store
        else:
            proc = self.procs[name]
            os.killpg(proc.proc.pid, signal.SIGKILL)
            proc.proc.wait(10)
            time.sleep(down_for)
            if restart:
                self.start(name, *self.specs[name])
        self.kills[name] += 1

    def act(self, system: str, action: str, **params: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.admin}/sims/{system}/actions/{action}", json=params, timeout=60)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def lims_sends_to(self, port: int) -> None:
        """The LIMS simulator pushes its results to the adapter listening on `port`, half a second after an order."""
        self.act("lims", "set_receiver", url=f"mllp://127.0.0.1:{port}")
        self.act("lims", "configure", result_delay_seconds=0.5)

    def fault(self, system: str, **faults: Any) -> None:
        httpx.put(f"{self.admin}/sims/{system}/faults", json=faults, timeout=30).raise_for_status()

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()


def adapter_env(system: str, sim: dict[str, Any], tmp: Path) -> dict[str, str]:
    """GXPLINK_<SYSTEM>_* pointing a separately run adapter at the bundled simulator, as an operator would."""
    auth = sim.get(f"{system}_auth", {})
    prefix = f"GXPLINK_{system.upper()}_"
    address = {"lims": "LIMS_URL", "mes": "URL", "erp": "URL", "qms": "WSDL_URL", "deltav": "URL"}[system]
    env = {prefix + address: sim[system]}
    env.update({prefix + key.upper(): str(value) for key, value in auth.items()
                if key in ("username", "password", "token", "security_policy", "security_mode")})
    if system == "deltav":
        env[prefix + "PKI_DIR"] = str(tmp / "deltav-pki")
    return env


def run_batches(plant: Plant, batches: list[str], errors: list[BaseException], pace: float = 1.0) -> None:
    """The plant floor: each batch created, started and run through its sampling steps."""
    try:
        for batch in batches:
            plant.act("mes", "create_batch", batch_id=batch)
            plant.act("mes", "start_batch", batch_id=batch)
            for _ in range(STEPS_WITH_SAMPLES):
                plant.act("mes", "advance_batch", batch_id=batch)
                time.sleep(pace)
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


async def settled(db_url: str, samples: int, deadline: float) -> list[dict[str, Any]]:
    """The sample-to-result instances once all `samples` of them completed (or the deadline passed)."""
    engine = make_engine(db_url)
    try:
        store = WorkflowStore(engine)
        while True:
            found = [i for i in await store.list_instances() if i["workflow"] == "sample_to_result"]
            if (len(found) >= samples and all(i["status"] == "completed" for i in found)) \
                    or time.monotonic() > deadline:
                return found
            await asyncio.sleep(1.0)
    finally:
        await engine.dispose()


def _found(value: Any, key: str, beside: str) -> list[dict[str, Any]]:
    """Every dict inside `value` that has both `key` and `beside`."""
    if isinstance(value, dict):
        own = [value] if key in value and beside in value else []
        return own + [d for v in value.values() for d in _found(v, key, beside)]
    if isinstance(value, list):
        return [d for v in value for d in _found(v, key, beside)]
    return []


@dataclass
class Outcome:
    """What the plant and the audit store say after the run."""

    instances: list[dict[str, Any]]
    expected_samples: set[str]
    orders_per_sample: collections.Counter[str]
    reported_per_order: dict[str, int]
    recorded_per_order: collections.Counter[str]
    results: collections.Counter[tuple[str, str]]
    pulled: collections.Counter[str]
    summaries: dict[str, int]
    letters: list[DeadLetter]
    chain_ok: bool
    chain: str

    @property
    def lost(self) -> int:
        return sum(max(0, n - self.recorded_per_order[o]) for o, n in self.reported_per_order.items())

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.results.values() if n > 1) + \
            sum(self.pulled[s] - 1 for s in self.expected_samples if self.pulled[s] > 1)

    def figures(self, started: float, kills: collections.Counter[str]) -> dict[str, Any]:
        return {"seconds": round(time.monotonic() - started), "kills": dict(kills),
                "samples": len(self.expected_samples),
                "workflows_completed": sum(i["status"] == "completed" for i in self.instances),
                "lims_orders": sum(self.orders_per_sample.values()),
                "lims_results_reported": sum(self.reported_per_order.values()),
                "audit_result_records": sum(self.results.values()), "lost": self.lost, "duplicated": self.duplicated,
                "dead_letters": len(self.letters)}

    def assert_nothing_lost_or_twice(self, batches: list[str]) -> None:
        samples = self.expected_samples
        assert sorted(i["business_key"] for i in self.instances) == sorted(samples)
        assert all(i["status"] == "completed" for i in self.instances), \
            [(i["business_key"], i["status"]) for i in self.instances]
        assert self.orders_per_sample == collections.Counter(dict.fromkeys(samples, 1)), self.orders_per_sample
        assert self.summaries == dict.fromkeys(batches, 2), self.summaries  # one QC summary per sample
        assert self.lost == 0 and self.duplicated == 0, (self.lost, self.duplicated)
        assert all(n > 0 for n in self.reported_per_order.values())
        assert dict(self.recorded_per_order) == self.reported_per_order, (self.reported_per_order,
                                                                         self.recorded_per_order)
        assert {s: self.pulled[s] for s in samples} == dict.fromkeys(samples, 1), self.pulled
        assert self.chain_ok, self.chain


def outcome(plant: Plant, batches: list[str], deadline_seconds: float = 300) -> Outcome:
    expected = {s["sample_id"] for b in batches for s in plant.act("mes", "batch", batch_id=b)["samples"]}
    instances = asyncio.run(settled(plant.db_url, len(expected), time.monotonic() + deadline_seconds))
    orders = plant.act("lims", "orders")["orders"]
    results, pulled, chain_ok, chain = asyncio.run(_audit(plant))
    mes = httpx.Client(base_url=plant.sim["mes"], auth=(plant.sim["mes_auth"]["username"],
                                                         plant.sim["mes_auth"]["password"]), timeout=30)
    return Outcome(
        instances, expected, collections.Counter(o["sample_id"] for o in orders),
        {o["order_id"]: len(o.get("results") or []) for o in orders},
        collections.Counter(order for order, _ in results), results, pulled,
        {b: len(mes.get(f"/batches/{b}/qc-summaries").json()) for b in batches},
        asyncio.run(_dead_letters(plant.nats_url)), chain_ok, chain)


async def _audit(plant: Plant) -> tuple[collections.Counter[tuple[str, str]], collections.Counter[str], bool, str]:
    engine = make_engine(plant.db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(records.c.message_type, records.c.content, records.c.kind))).all()
        results: collections.Counter[tuple[str, str]] = collections.Counter()
        pulled: collections.Counter[str] = collections.Counter()
        for message_type, content, kind in rows:
            if kind != "event" or not message_type:
                continue
            body = json.loads(content)
            if "test_result_recorded" in message_type:
                found = _found(body, "result_id", "analyte")
                results.update({(str(d["order_id"]), str(d["result_id"])) for d in found})
            elif "sample_pulled" in message_type:
                pulled.update({str(d["sample_id"]) for d in _found(body, "sample_id", "sample_type")})
        report = await verify(engine, load_verifier(plant.data / "keys"), key_exists=True)
        return results, pulled, report.ok, report.summary()
    finally:
        await engine.dispose()


async def _dead_letters(url: str) -> list[DeadLetter]:
    nc = await connect(url, "plant-probe")
    try:
        return await list_dead_letters(nc.jetstream())
    finally:
        await nc.close()
