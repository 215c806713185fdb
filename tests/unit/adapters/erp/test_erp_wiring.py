"""How gxplink builds the ERP adapter: the simulator's erp_auth by default, GXPLINK_ERP_* first."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.base import AdapterPorts
from adapters.erp.client import ErpHttpClient
from adapters.framework.metrics import AdapterMetrics
from gxplink.wiring import erp as wiring
from mappings.engine.catalog import Catalog

pytestmark = pytest.mark.unit
SIM = {"erp": "http://127.0.0.1:8765", "erp_auth": {"username": "RFC_GXP_1", "password": "pw", "token": "tk"}}


def ports(catalog: Catalog) -> AdapterPorts:
    return AdapterPorts(nc=None, js=None, publisher=None, engine=None,  # type: ignore[arg-type]
                        catalog=catalog, metrics=AdapterMetrics("erp"))


def auth_header(adapter: Any) -> str:
    client = adapter.api
    assert isinstance(client, ErpHttpClient)
    import httpx

    request = httpx.Request("GET", f"{client.url}/lots")
    return str(next(client._auth.auth_flow(request)).headers["Authorization"])  # type: ignore[union-attr]


def test_the_simulator_and_its_credentials_by_default(catalog: Catalog) -> None:
    adapter = wiring.build(ports(catalog), SIM)
    assert adapter.api.url == SIM["erp"]  # type: ignore[attr-defined]
    assert auth_header(adapter).startswith("Basic ")


def test_configured_address_and_token_win(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_ERP_URL", "https://erp.plant.example")
    monkeypatch.setenv("GXPLINK_ERP_TOKEN", "plant-token")
    adapter = wiring.build(ports(catalog), SIM)
    assert adapter.api.url == "https://erp.plant.example"  # type: ignore[attr-defined]
    assert auth_header(adapter) == "Bearer plant-token"


def test_without_an_address_or_credentials_it_says_what_to_set(catalog: Catalog,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="GXPLINK_ERP_URL"):
        wiring.build(ports(catalog), {})
    monkeypatch.setenv("GXPLINK_ERP_URL", "https://erp.plant.example")
    with pytest.raises(ValueError, match="GXPLINK_ERP_USERNAME"):
        wiring.build(ports(catalog), {})
