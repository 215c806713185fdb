"""ERP adapter settings (`GXPLINK_ERP_*`); every field says what it is for.

Credentials: HTTP Basic (GXPLINK_ERP_USERNAME with GXPLINK_ERP_PASSWORD or GXPLINK_ERP_PASSWORD_FILE)
or a bearer token (GXPLINK_ERP_TOKEN). Secrets are `SecretStr`, so neither a log line nor a repr of
the settings shows them; a half-given or ambiguous set is refused when the settings are built.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.framework.credentials import read_secret_file


class ErpAdapterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_ERP_", extra="ignore")

    url: str | None = Field(default=None, description="Base URL of the ERP's REST API, e.g. https://erp.example:8443")
    username: str | None = Field(default=None, description="Technical (RFC) user for HTTP Basic")
    password: SecretStr | None = Field(default=None, description="Password of that user")
    password_file: Path | None = Field(default=None, description="File holding the password (instead of password)")
    token: SecretStr | None = Field(default=None, description="Bearer token (instead of user and password)")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one HTTP request to the ERP")
    feed_poll_seconds: float = Field(default=2.0, gt=0, description="Pause between change-feed reads when idle")
    feed_page_size: int = Field(default=200, ge=1, le=1000, description="Change-feed records read per request")
    audit_poll_seconds: float = Field(default=5.0, gt=0, description="How often the change documents are read")
    audit_page_size: int = Field(default=500, ge=1, le=10_000, description="Change documents read per request")
    command_attempts: int = Field(default=3, ge=1, description="Tries of one command (transient faults) per delivery")

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ErpAdapterConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("set GXPLINK_ERP_PASSWORD or GXPLINK_ERP_PASSWORD_FILE, not both")
        has_password = self.password is not None or self.password_file is not None
        if has_password and not self.username:
            raise ValueError("GXPLINK_ERP_USERNAME is required with a password")
        if self.username and not has_password:
            raise ValueError("GXPLINK_ERP_USERNAME needs GXPLINK_ERP_PASSWORD or GXPLINK_ERP_PASSWORD_FILE")
        if self.token is not None and self.username:
            raise ValueError("set GXPLINK_ERP_TOKEN or GXPLINK_ERP_USERNAME + password, not both")
        return self

    @property
    def has_credentials(self) -> bool:
        return self.token is not None or self.username is not None

    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) for HTTP Basic; the password file is read when needed, never cached in the settings."""
        if not self.username:
            return None
        if self.password_file is not None:
            return self.username, read_secret_file(self.password_file, "GXPLINK_ERP_PASSWORD_FILE").strip()
        return self.username, self.password.get_secret_value() if self.password else ""

    def bearer_token(self) -> str | None:
        return self.token.get_secret_value() if self.token else None
