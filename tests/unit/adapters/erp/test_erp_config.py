"""ERP adapter settings from GXPLINK_ERP_*: one way to authenticate, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.erp.config import ErpAdapterConfig

pytestmark = pytest.mark.unit


def test_user_and_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_ERP_URL", "https://erp.example")
    monkeypatch.setenv("GXPLINK_ERP_USERNAME", "RFC_GXP")
    monkeypatch.setenv("GXPLINK_ERP_PASSWORD", "pa55word")
    config = ErpAdapterConfig()
    assert config.basic_auth() == ("RFC_GXP", "pa55word") and config.bearer_token() is None
    assert "pa55word" not in repr(config) and "pa55word" not in str(config.model_dump())


def test_the_password_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "erp-password"
    secret.write_text("from-file\n")
    secret.chmod(0o600)
    monkeypatch.setenv("GXPLINK_ERP_USERNAME", "RFC_GXP")
    monkeypatch.setenv("GXPLINK_ERP_PASSWORD_FILE", str(secret))
    assert ErpAdapterConfig().basic_auth() == ("RFC_GXP", "from-file")


def test_a_token_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_ERP_TOKEN", "tok")
    config = ErpAdapterConfig()
    assert config.bearer_token() == "tok" and config.basic_auth() is None and "tok'" not in repr(config)


@pytest.mark.parametrize("env", [
    {"GXPLINK_ERP_USERNAME": "u"},
    {"GXPLINK_ERP_PASSWORD": "p"},
    {"GXPLINK_ERP_USERNAME": "u", "GXPLINK_ERP_PASSWORD": "p", "GXPLINK_ERP_PASSWORD_FILE": "/x"},
    {"GXPLINK_ERP_USERNAME": "u", "GXPLINK_ERP_PASSWORD": "p", "GXPLINK_ERP_TOKEN": "t"},
])
def test_half_given_or_ambiguous_credentials_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="GXPLINK_ERP_"):
        ErpAdapterConfig()
