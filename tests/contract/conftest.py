"""The contract suite runs every adapter harness, fake and simulator, against a real nats-server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from nats.aio.client import Client

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from mappings.engine.catalog import load_catalog
from messaging.publisher import Publisher
from storage.engine import create_schema, default_url, make_engine

from .deltav_harness import DeltaVFakeHarness, DeltaVSimulatorHarness
from .erp_harness import ErpFakeHarness, ErpSimulatorHarness
from .harness import AdapterHarness
from .lims_harness import LimsFakeHarness, LimsSimulatorHarness
from .mes_harness import MesFakeHarness, MesSimulatorHarness
from .qms_harness import QmsFakeHarness, QmsSimulatorHarness

HARNESSES: list[type[AdapterHarness]] = [LimsFakeHarness, LimsSimulatorHarness, MesFakeHarness, MesSimulatorHarness,
                                         ErpFakeHarness, ErpSimulatorHarness, DeltaVFakeHarness, DeltaVSimulatorHarness,
                                         QmsFakeHarness, QmsSimulatorHarness]


@pytest.fixture(params=HARNESSES, ids=lambda h: f"{h.system}-{h.kind}")
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[AdapterHarness]:
    built: AdapterHarness = request.param()
    yield built
    await built.close()


@pytest.fixture
async def ports(nc: Client, tmp_path: Path) -> AsyncIterator[Callable[[str], AdapterPorts]]:
    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)
    catalog = load_catalog()

    def build(system: str) -> AdapterPorts:
        return AdapterPorts(nc=nc, js=nc.jetstream(), publisher=Publisher(nc.jetstream()), engine=engine,
                            catalog=catalog, metrics=AdapterMetrics(system), nats_connected=lambda: nc.is_connected)
    yield build
    await engine.dispose()


def consumer_name(system: str) -> str:
    return f"adapter_{system}_commands"


async def clear_consumer(nc: Client, system: str) -> None:
    """Each test starts with a fresh command consumer, so commands of earlier tests are not replayed."""
    with contextlib.suppress(Exception):  # absent is fine
        await nc.jetstream().delete_consumer("GXP_COMMANDS", consumer_name(system))

