"""How gxplink builds the DeltaV adapter: the simulator's service account, the PKI under the data dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from gxplink.wiring import deltav
from mappings.engine.catalog import load_catalog
from storage.engine import default_url, make_engine

pytestmark = pytest.mark.unit
SIM = {"deltav": "opc.tcp://127.0.0.1:4840/gxplink/deltav",
       "deltav_auth": {"username": "opcua.integration", "password": "pw-from-sim", "security_policy": "Basic256Sha256",
                       "security_mode": "SignAndEncrypt"}}


def ports(tmp_path: Path) -> AdapterPorts:
    none: Any = None
    return AdapterPorts(nc=none, js=none, publisher=none, engine=make_engine(default_url(tmp_path / "up")),
                        catalog=load_catalog(), metrics=AdapterMetrics("deltav", CollectorRegistry()))


def test_without_a_url_it_logs_in_to_the_simulator_with_its_service_account(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GXPLINK_DELTAV_URL", raising=False)
    adapter = deltav.build(ports(tmp_path), SIM)
    config = adapter.config  # type: ignore[attr-defined]
    assert (config.url, config.username, config.secret(), config.security_mode) == (
        SIM["deltav"], "opcua.integration", "pw-from-sim", "SignAndEncrypt")
    assert config.pki_dir == (tmp_path / "up" / "deltav" / "pki").resolve()


def test_configured_variables_win_and_no_deltav_at_all_is_refused(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_DELTAV_URL", "opc.tcp://dcs.plant:4840")
    monkeypatch.setenv("GXPLINK_DELTAV_SECURITY_POLICY", "None")
    monkeypatch.setenv("GXPLINK_DELTAV_SECURITY_MODE", "None")
    monkeypatch.setenv("GXPLINK_DELTAV_PKI_DIR", str(tmp_path / "pki"))
    config = deltav.build(ports(tmp_path), SIM).config  # type: ignore[attr-defined]
    assert (config.url, config.username, config.pki_dir) == ("opc.tcp://dcs.plant:4840", None, tmp_path / "pki")
    monkeypatch.delenv("GXPLINK_DELTAV_URL")
    with pytest.raises(ValueError, match="GXPLINK_DELTAV_URL"):
        deltav.build(ports(tmp_path), {})
