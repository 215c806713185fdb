"""QMS adapter settings (`GXPLINK_QMS_*`); every field says what it is for.

The password comes from GXPLINK_QMS_PASSWORD or, better for containers and systemd credentials, from
the file GXPLINK_QMS_PASSWORD_FILE names. It is a SecretStr: it never appears in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.framework.credentials import check_basic_auth, check_http_url, read_password


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
            check_http_url(f"GXPLINK_QMS_{name.upper()}", getattr(self, name), "GXPLINK_QMS")
        check_basic_auth("GXPLINK_QMS", "QMS", "GXPLINK_QMS_WSDL_URL", self.wsdl_url, self.username, self.password,
                         self.password_file)
        return self

    def secret(self) -> str | None:
        """The password, read from the file when one is named (without its trailing newline)."""
        return read_password("GXPLINK_QMS", self.password, self.password_file)
