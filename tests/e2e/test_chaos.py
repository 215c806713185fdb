"""Chaos: the real stack as separate processes, killed and starved while batches run; nothing lost.

The simulators, the LIMS and MES adapters, the orchestrator and the audit writer each run as their
own `gxplink` process against a nats-server this test owns. While four CAR-T batches pull their
samples (each one a sample-to-result workflow across MES, orchestrator and LIMS), the test
SIGKILLs nats-server three times, the LIMS adapter three times and the orchestrator three times,
takes the LIMS down for a minute and then lets it flap. Afterwards:

- every workflow completed, every sample was ordered in the LIMS once and summarised in the MES once;
- every result the LIMS reported and every sample the MES pulled is in the audit store exactly once;
- the dead-letter stream holds only the garbage this test sent on purpose;
- the audit chain verifies.

The figures are printed. No wall-clock assertion: the deadlines only bound a hung run.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.engine import default_url
from tests.support.cli import Background, processes_mentioning
from tests.support.plant import Plant, cluster, free_port, outcome, run_batches

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

BATCHES = [f"CART-CHAOS-{n:02d}" for n in range(1, 5)]
GARBAGE = [f"GARBAGE|CHAOS|{n}\r".encode() for n in range(3)]


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    data = tmp_path / "gxplink"
    (nats,) = cluster(tmp_path, 1)
    nats.start()
    sims_file = tmp_path / "sims.json"
    sims = Background("sim", "up", "--data-dir", str(tmp_path / "sims"), "--endpoints-file", str(sims_file),
                      log_dir=tmp_path)
    plant = Plant(tmp_path, data, [nats], {}, default_url(data))
    try:
        endpoints = sims.wait_for_endpoints(sims_file, ("sim", "sim_admin"), timeout=90)
        plant.admin, plant.sim, plant.env = endpoints["sim_admin"], endpoints["sim"], {"GXPLINK_NATS_URL": nats.url}
        lims_port = free_port()
        plant.start("audit-writer", ("run", "audit-writer"))
        plant.start("orchestrator", ("run", "orchestrator"))
        plant.start_adapter("lims", GXPLINK_LIMS_LISTEN_PORT=str(lims_port))
        plant.start_adapter("mes")
        plant.lims_sends_to(lims_port)
        yield plant
    finally:
        plant.stop()
        sims.stop()
        nats.stop()
        assert processes_mentioning(str(tmp_path)) == []


def send_garbage(port: int) -> None:
    """Bad input, on purpose: each frame must come back AR and end in the dead-letter stream, once."""
    for frame in GARBAGE:
        for _ in range(60):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(b"\x0b" + frame + b"\x1c\r")
                    if b"MSA|AR" in sock.recv(4096):
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"{frame!r} was never answered AR")


def chaos(plant: Plant, errors: list[BaseException], finished: threading.Event, done: threading.Event) -> None:
    """Three kills of each kind, a minute of LIMS outage, then a flapping LIMS.

    The thread lives until the test is `done`: Linux stops a server started from a thread (the
    embedded server's parent-death signal) when that thread exits.
    """
    port = int(plant.specs["lims"][1]["GXPLINK_LIMS_LISTEN_PORT"])
    steps: list[tuple[float, Callable[[], None]]] = [
        (3, lambda: plant.kill("nats", down_for=2)),
        (6, lambda: plant.kill("lims")),
        (9, lambda: plant.kill("orchestrator")),
        (11, lambda: send_garbage(port)),
        (13, lambda: plant.fault("lims", down=True)),
        (20, lambda: plant.kill("nats", down_for=2)),
        (28, lambda: plant.kill("lims")),
        (36, lambda: plant.kill("orchestrator")),
        (44, lambda: plant.kill("nats", down_for=2)),
        (52, lambda: plant.kill("lims")),
        (60, lambda: plant.kill("orchestrator")),
        (73, lambda: plant.fault("lims", down=False)),
        (76, lambda: plant.fault("lims", down=True)),
        (79, lambda: plant.fault("lims", down=False)),
        (82, lambda: plant.fault("lims", down=True)),
        (85, lambda: plant.fault("lims", down=False)),
    ]
    started = time.monotonic()
    try:
        for at, step in steps:
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            step()
    except BaseException as exc:
        errors.append(exc)
    finished.set()
    done.wait()


def test_nothing_is_lost_or_done_twice_through_kills_and_outages(plant: Plant) -> None:
    errors: list[BaseException] = []
    finished, done = threading.Event(), threading.Event()
    floor = threading.Thread(target=run_batches, args=(plant, BATCHES, errors))
    trouble = threading.Thread(target=chaos, args=(plant, errors, finished, done), daemon=True)
    started = time.monotonic()
    floor.start()
    trouble.start()
    try:
        floor.join(300)
        assert finished.wait(300) and not errors, errors
        result = outcome(plant, BATCHES)
        print("\nchaos figures: " + json.dumps({**result.figures(started, plant.kills), "lims_outage_seconds": 60}))
        result.assert_nothing_lost_or_twice(BATCHES)
        assert sorted(d.raw().strip() for d in result.letters) == sorted(g.strip() for g in GARBAGE), \
            [(d.origin, d.reason[:80]) for d in result.letters]
    finally:
        done.set()
