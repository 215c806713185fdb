"""GXPLINK_MES_* settings: credentials from the environment or a file, misconfiguration refused, no secret shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.base import AdapterPorts
from adapters.mes.adapter import MesRestAdapter
from adapters.mes.config import MesAdapterConfig
from gxplink.wiring import mes as wiring

pytestmark = pytest.mark.unit
SECRET = "pa55-w0rd"


def test_credentials_come_from_the_environment_and_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_MES_URL", "https://mes.site/api")
    monkeypatch.setenv("GXPLINK_MES_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_MES_PASSWORD", SECRET)
    config = MesAdapterConfig()
    assert config.url == "https://mes.site/api" and config.secret() == SECRET
    assert SECRET not in repr(config) and SECRET not in str(config.model_dump())


def test_the_password_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(SECRET + "\n")
    (tmp_path / "pw").chmod(0o600)
    monkeypatch.setenv("GXPLINK_MES_URL", "https://mes.site/api")
    monkeypatch.setenv("GXPLINK_MES_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_MES_PASSWORD_FILE", str(tmp_path / "pw"))
    assert MesAdapterConfig().secret() == SECRET


@pytest.mark.parametrize("env, message", [
    ({"URL": "http://m", "USERNAME": "u"}, "PASSWORD"),
    ({"URL": "http://m", "PASSWORD": "p"}, "USERNAME"),
    ({"USERNAME": "u", "PASSWORD": "p", "PASSWORD_FILE": "/x"}, "not both"),
    ({"PASSWORD": "p"}, "USERNAME is not"),
])
def test_incomplete_credentials_are_refused_at_construction(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                            message: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(f"GXPLINK_MES_{key}", value)
    with pytest.raises(ValidationError, match=message):
        MesAdapterConfig()


def test_a_password_file_others_may_read_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(SECRET)
    (tmp_path / "pw").chmod(0o644)
    config = MesAdapterConfig(url="http://m", username="u", password_file=tmp_path / "pw")
    with pytest.raises(ValueError, match=r"readable by others.*chmod 600"):
        config.secret()


def test_an_unreadable_password_file_is_named(tmp_path: Path) -> None:
    config = MesAdapterConfig(url="http://m", username="u", password_file=tmp_path / "missing")
    with pytest.raises(ValueError, match="missing"):
        config.secret()


def _ports() -> Any:
    from adapters.framework.metrics import AdapterMetrics
    from mappings.engine.catalog import load_catalog
    return AdapterPorts(nc=None, js=None, publisher=None, engine=None, catalog=load_catalog(),  # type: ignore[arg-type]
                        metrics=AdapterMetrics("mes"))


def test_the_wiring_uses_the_simulator_and_its_mes_auth_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("URL", "USERNAME", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"GXPLINK_MES_{key}", raising=False)
    adapter = wiring.build(_ports(), {"mes": "http://127.0.0.1:1234",
                                      "mes_auth": {"username": "svc-integration", "password": SECRET}})
    assert isinstance(adapter, MesRestAdapter)
    assert adapter.config.url == "http://127.0.0.1:1234" and adapter.config.username == "svc-integration"
    assert adapter.config.secret() == SECRET


def test_the_wiring_prefers_the_configured_mes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_MES_URL", "https://mes.site/api")
    monkeypatch.setenv("GXPLINK_MES_USERNAME", "svc-gxplink")
    monkeypatch.setenv("GXPLINK_MES_PASSWORD", SECRET)
    adapter = wiring.build(_ports(), {"mes": "http://127.0.0.1:1234", "mes_auth": {"username": "x", "password": "y"}})
    assert isinstance(adapter, MesRestAdapter)
    assert adapter.config.url == "https://mes.site/api" and adapter.config.username == "svc-gxplink"


async def test_without_a_mes_the_adapter_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GXPLINK_MES_URL", raising=False)
    adapter = wiring.build(_ports(), {})
    assert isinstance(adapter, MesRestAdapter) and adapter.client is None
    health = await adapter.health()
    assert health.status == "down" and "GXPLINK_MES_URL" in health.checks["mes_configured"]


@pytest.mark.parametrize("url, message", [("https://svc:pw@mes.site/api", "must not carry credentials"),
                                          ("mes.site:8080", "http\\(s\\) URL")])
def test_urls_that_are_not_plain_http_addresses_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MesAdapterConfig(url=url, username="u", password="p")
