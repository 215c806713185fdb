"""How `gxplink up` and `gxplink run adapter qms` build the QMS adapter.

From GXPLINK_QMS_* variables; without GXPLINK_QMS_WSDL_URL it is pointed at the bundled simulator's
WSDL (`qms` in the endpoints JSON) and logs in with its web-service account (`qms_auth`), unless
GXPLINK_QMS_USERNAME names another.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from adapters.base import Adapter, AdapterPorts
from adapters.qms.adapter import QmsSoapAdapter
from adapters.qms.config import QmsAdapterConfig


def build(ports: AdapterPorts, sim: dict[str, Any]) -> Adapter:
    config = QmsAdapterConfig()
    if sim.get("qms") and not config.wsdl_url:
        auth = sim.get("qms_auth") or {}
        credentials: dict[str, Any] = {}
        if not config.username and auth.get("username") and auth.get("password"):
            credentials = {"username": auth["username"], "password": SecretStr(auth["password"]), "password_file": None}
        config = QmsAdapterConfig(**{**_explicit(config), "wsdl_url": sim["qms"], **credentials})
    return QmsSoapAdapter(ports, config)


def _explicit(config: QmsAdapterConfig) -> dict[str, Any]:
    """The settings as given (SecretStr kept), to rebuild a validated config with the simulator's values."""
    return {name: getattr(config, name) for name in config.model_fields_set}
