"""How `gxplink up` and `gxplink run adapter mes` build the MES adapter."""

from __future__ import annotations

from typing import Any

from adapters.base import Adapter, AdapterPorts
from adapters.mes.adapter import MesRestAdapter
from adapters.mes.config import MesAdapterConfig


def build(ports: AdapterPorts, sim: dict[str, Any]) -> Adapter:
    """From GXPLINK_MES_* variables; pointed at the bundled simulator, with its `mes_auth`, when no URL is set."""
    config = MesAdapterConfig()
    if sim.get("mes") and not config.url:
        auth = sim.get("mes_auth") or {}
        credentials: dict[str, Any] = {} if config.username else {
            "username": auth.get("username"), "password": auth.get("password"), "password_file": None}
        config = MesAdapterConfig(url=sim["mes"], **credentials)
    return MesRestAdapter(ports, config)
