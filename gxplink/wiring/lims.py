"""How `gxplink up` and `gxplink run adapter lims` build the LIMS adapter."""

from __future__ import annotations

from typing import Any

from adapters.base import Adapter, AdapterPorts
from adapters.lims.adapter import LimsHl7Adapter
from adapters.lims.config import LimsAdapterConfig


def build(ports: AdapterPorts, sim: dict[str, Any]) -> Adapter:
    """From GXPLINK_LIMS_* variables; pointed at the bundled simulator when no LIMS address is set."""
    config = LimsAdapterConfig()
    if sim.get("lims") and not config.lims_url:
        config = config.model_copy(update={"lims_url": sim["lims"]})
    return LimsHl7Adapter(ports, config)


async def connect_simulator(adapter: Adapter, simulator: Any) -> None:
    """The LIMS pushes results: tell the simulator where the adapter listens."""
    await simulator.actions()["set_receiver"]({"url": adapter.endpoints()["lims_mllp"]})
