"""MES adapter settings (`GXPLINK_MES_*`); every field says what it is for.

The password comes from GXPLINK_MES_PASSWORD or, better for containers and systemd credentials, from
the file GXPLINK_MES_PASSWORD_FILE names. It is a SecretStr: it never appears in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.framework.credentials import check_basic_auth, check_http_url, read_password


class MesAdapterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_MES_", extra="ignore")

    url: str | None = Field(default=None, description="Base URL of the MES REST API, e.g. https://mes.site:8443/api")
    username: str | None = Field(default=None, description="MES interface account (HTTP Basic user)")
    password: SecretStr | None = Field(default=None, description="Password of the interface account")
    password_file: Path | None = Field(default=None, description="File holding the password (instead of password)")
    verify_tls: bool = Field(default=True, description="Check the MES's TLS certificate (https URLs)")
    poll_interval_seconds: float = Field(default=2.0, gt=0, description="How often the change feed is read")
    audit_poll_seconds: float = Field(default=5.0, gt=0, description="How often the MES audit trail is read")
    page_size: int = Field(default=200, ge=1, le=1000, description="Records asked for per change-feed/audit page")
    initial_feed_cursor: int = Field(default=0, ge=0, description="Feed position to start from when no cursor is "
                                     "stored yet (0: the MES's whole history)")
    initial_audit_cursor: int = Field(default=0, ge=0, description="Audit position to start from when no cursor "
                                      "is stored yet (0: the whole trail)")
    request_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one HTTP request to the MES")
    command_attempts: int = Field(default=3, ge=1, description="Tries of one command (same delivery) on "
                                  "transient errors before it is redelivered")
    read_attempts: int = Field(default=3, ge=1, description="Tries of a batch record export on transient errors")

    @model_validator(mode="after")
    def _credentials(self) -> MesAdapterConfig:
        check_http_url("GXPLINK_MES_URL", self.url, "GXPLINK_MES")
        check_basic_auth("GXPLINK_MES", "MES", "GXPLINK_MES_URL", self.url, self.username, self.password,
                         self.password_file)
        return self

    def secret(self) -> str | None:
        """The password, read from the file when one is named (without its trailing newline)."""
        return read_password("GXPLINK_MES", self.password, self.password_file)
