"""How `gxplink up` and `gxplink run adapter deltav` build the DeltaV adapter.

From GXPLINK_DELTAV_* variables; without GXPLINK_DELTAV_URL it is pointed at the bundled simulator and
logs in as its service account (`deltav_auth`: user name and password over Basic256Sha256
SignAndEncrypt). The client certificate lives under the data dir: GXPLINK_DELTAV_PKI_DIR, else
`<data dir>/deltav/pki`, the data dir being where the SQLite store is (build() is not told the data
dir; with PostgreSQL it is GXPLINK_DATA_DIR).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from adapters.base import Adapter, AdapterPorts
from adapters.deltav.adapter import DeltaVOpcUaAdapter
from adapters.deltav.config import DeltaVAdapterConfig
from gxplink.settings import Settings


def build(ports: AdapterPorts, sim: dict[str, Any]) -> Adapter:
    config = DeltaVAdapterConfig()
    updates: dict[str, Any] = {}
    if not config.url:
        if not sim.get("deltav"):
            raise ValueError("no DeltaV to connect to: set GXPLINK_DELTAV_URL (and its credentials)")
        updates["url"] = sim["deltav"]
        auth = sim.get("deltav_auth") or {}
        if auth and not config.username:
            updates.update(username=auth["username"], password=SecretStr(auth["password"]), password_file=None,
                           security_policy=auth.get("security_policy", "Basic256Sha256"),
                           security_mode=auth.get("security_mode", "SignAndEncrypt"))
    if config.pki_dir is None:
        updates["pki_dir"] = data_dir(ports) / "deltav" / "pki"
    if updates:
        config = DeltaVAdapterConfig(**{**_explicit(config), **updates})
    return DeltaVOpcUaAdapter(ports, config)


def data_dir(ports: AdapterPorts) -> Path:
    url = make_url(str(ports.engine.url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return Settings().data_dir.resolve()


def _explicit(config: DeltaVAdapterConfig) -> dict[str, Any]:
    """The settings as given (SecretStr kept), to rebuild a validated config with the simulator's values."""
    return {name: getattr(config, name) for name in config.model_fields_set}
