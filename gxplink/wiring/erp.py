"""How `gxplink up` and `gxplink run adapter erp` build the ERP adapter."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from adapters.base import Adapter, AdapterPorts
from adapters.erp.adapter import ErpRestAdapter
from adapters.erp.config import ErpAdapterConfig


def build(ports: AdapterPorts, sim: dict[str, Any]) -> Adapter:
    """From GXPLINK_ERP_* variables; pointed at the bundled simulator (with its `erp_auth`) when no URL is set."""
    config = ErpAdapterConfig()
    if sim.get("erp") and not config.url:
        update: dict[str, Any] = {"url": sim["erp"]}
        auth = sim.get("erp_auth") or {}
        if not config.has_credentials and auth.get("username") and auth.get("password"):
            update.update(username=auth["username"], password=SecretStr(auth["password"]))
        elif not config.has_credentials and auth.get("token"):
            update["token"] = SecretStr(auth["token"])
        config = config.model_copy(update=update)
    return ErpRestAdapter(ports, config)
