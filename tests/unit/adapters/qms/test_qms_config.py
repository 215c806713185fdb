"""GXPLINK_QMS_* settings and the wiring: credentials from the environment, a file or the simulator; never shown."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from adapters.qms.adapter import QmsSoapAdapter
from adapters.qms.client import ZeepQmsClient
from adapters.qms.config import QmsAdapterConfig
from gxplink.wiring import qms as wiring
from mappings.engine.catalog import Catalog

pytestmark = pytest.mark.unit
SECRET = "pa55-w0rd"
SIM = {"qms": "http://127.0.0.1:8766/qms?wsdl", "qms_auth": {"username": "qms.integration", "password": "sim-pw"}}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WSDL_URL", "ENDPOINT_URL", "USERNAME", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"GXPLINK_QMS_{name}", raising=False)


def ports(catalog: Catalog) -> AdapterPorts:
    return AdapterPorts(nc=None, js=None, publisher=None, engine=None,  # type: ignore[arg-type]
                        catalog=catalog, metrics=AdapterMetrics("qms"))


def authorization(adapter: QmsSoapAdapter) -> str:
    client = adapter.client
    assert isinstance(client, ZeepQmsClient) and client._auth is not None
    request = httpx.Request("POST", client.url)
    return str(next(client._auth.auth_flow(request)).headers["Authorization"])


def test_credentials_come_from_the_environment_and_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_QMS_WSDL_URL", "https://qms.site/qms?wsdl")
    monkeypatch.setenv("GXPLINK_QMS_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_QMS_PASSWORD", SECRET)
    config = QmsAdapterConfig()
    assert config.wsdl_url == "https://qms.site/qms?wsdl" and config.secret() == SECRET
    assert SECRET not in repr(config) and SECRET not in str(config.model_dump())


def test_the_password_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(SECRET + "\n")
    (tmp_path / "pw").chmod(0o600)
    monkeypatch.setenv("GXPLINK_QMS_WSDL_URL", "https://qms.site/qms?wsdl")
    monkeypatch.setenv("GXPLINK_QMS_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_QMS_PASSWORD_FILE", str(tmp_path / "pw"))
    assert QmsAdapterConfig().secret() == SECRET


@pytest.mark.parametrize("env, message", [
    ({"WSDL_URL": "http://q/qms?wsdl", "USERNAME": "u"}, "PASSWORD"),
    ({"WSDL_URL": "http://q/qms?wsdl", "PASSWORD": "p"}, "USERNAME"),
    ({"USERNAME": "u", "PASSWORD": "p", "PASSWORD_FILE": "/x"}, "not both"),
    ({"WSDL_URL": "ftp://q/qms", "USERNAME": "u", "PASSWORD": "p"}, "http"),
    ({"WSDL_URL": "http://u:p@q/qms?wsdl", "USERNAME": "u", "PASSWORD": "p"}, "must not carry credentials"),
])
def test_misconfiguration_is_refused_with_what_to_set(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                      message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(f"GXPLINK_QMS_{name}", value)
    with pytest.raises(ValidationError, match=message):
        QmsAdapterConfig()


def test_the_wiring_uses_the_simulator_and_its_account_by_default(catalog: Catalog) -> None:
    adapter = wiring.build(ports(catalog), SIM)
    assert isinstance(adapter, QmsSoapAdapter) and adapter.config.wsdl_url == SIM["qms"]
    assert adapter.client is not None and adapter.client.url == "http://127.0.0.1:8766/qms"
    assert authorization(adapter) == httpx.BasicAuth("qms.integration", "sim-pw")._auth_header


def test_configured_wsdl_and_account_win(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_QMS_WSDL_URL", "https://qms.site/qms?wsdl")
    monkeypatch.setenv("GXPLINK_QMS_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_QMS_PASSWORD", SECRET)
    adapter = wiring.build(ports(catalog), SIM)
    assert isinstance(adapter, QmsSoapAdapter) and adapter.config.wsdl_url == "https://qms.site/qms?wsdl"
    assert authorization(adapter) == httpx.BasicAuth("svc-gxplink", SECRET)._auth_header


async def test_without_a_qms_the_adapter_says_what_to_set(catalog: Catalog) -> None:
    adapter = wiring.build(ports(catalog), {})
    assert isinstance(adapter, QmsSoapAdapter) and adapter.client is None
    health = await adapter.health()
    assert health.checks["qms_configured"] == "failed: no GXPLINK_QMS_WSDL_URL"
