"""QMS adapter settings (`GXPLINK_QMS_*`); every field says what it is for.

The password comes from GXPLINK_QMS_PASSWORD or, better for containers and systemd credentials, from
the file GXPLINK_QMS_PASSWORD_FILE names. It is a SecretStr: it never appears in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class QmsAdapterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_QMS_", extra="ignore")

    wsdl_url: str | None = Field(default=None, description="WSDL of the QualityRecordService, e.g. "
                                 "https://qms.site/qms?wsdl; operations go to the soap:address it declares")
    endpoint_url: str | None = Field(default=None, description="SOAP endpoint to call instead of the WSDL's "
                                     "soap:address (e.g. when the QMS sits behind a reverse proxy)")
    username: str | None = Field(default=None, description="QMS web-service account (HTTP basic auth user)")
    password: SecretStr | None = Field(default=None, description="Password of the web-service account")
    password_file: Path | None = Field(default=None, description="File holding the password (instead of password)")
    verify_tls: bool = Field(default=True, description="Check the QMS's TLS certificate (https URLs)")
    request_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one SOAP call (and of "
                                           "reading the WSDL)")
    poll_interval_seconds: float = Field(default=2.0, gt=0, description="How often ListChangesSince is called")
    audit_poll_seconds: float = Field(default=5.0, gt=0, description="How often the QMS audit trail is read")
    page_size: int = Field(default=200, ge=1, le=1000, description="Changes / audit entries asked for per call")
    initial_change_cursor: int = Field(default=0, ge=0, description="Change-feed cursor to start from when none is "
                                       "stored yet (0: the QMS's whole history, incl. records migrated at go-live)")
    initial_audit_cursor: int = Field(default=0, ge=0, description="Audit-trail sequence number to start after "
                                      "when none is stored yet (0: the whole trail)")
    command_attempts: int = Field(default=3, ge=1, description="Tries of one command (same delivery) on "
                                  "transient errors before it is redelivered")

    @model_validator(mode="after")
    def _credentials(self) -> QmsAdapterConfig:
        for name in ("wsdl_url", "endpoint_url"):
            url = getattr(self, name)
            env = f"GXPLINK_QMS_{name.upper()}"
            if url and urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"{env} must be an http(s) URL, not {urlsplit(url).scheme or 'a path'}")
            if url and (urlsplit(url).username or urlsplit(url).password):
                raise ValueError(f"{env} must not carry credentials: use GXPLINK_QMS_USERNAME and "
                                 "GXPLINK_QMS_PASSWORD(_FILE)")
        if self.password is not None and self.password_file is not None:
            raise ValueError("set GXPLINK_QMS_PASSWORD or GXPLINK_QMS_PASSWORD_FILE, not both")
        has_password = self.password is not None or self.password_file is not None
        if self.wsdl_url and not (self.username and has_password):
            raise ValueError("GXPLINK_QMS_WSDL_URL is set: GXPLINK_QMS_USERNAME and GXPLINK_QMS_PASSWORD (or "
                             "GXPLINK_QMS_PASSWORD_FILE) are required too")
        if has_password and not self.username:
            raise ValueError("a QMS password is set but GXPLINK_QMS_USERNAME is not")
        return self

    def secret(self) -> str | None:
        """The password, read from the file when one is named (without its trailing newline)."""
        if self.password_file is not None:
            try:
                return self.password_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise ValueError(f"GXPLINK_QMS_PASSWORD_FILE {self.password_file}: {exc.strerror}") from None
        return self.password.get_secret_value() if self.password is not None else None
