"""DeltaV adapter settings (`GXPLINK_DELTAV_*`); every field says what it is for.

Misconfiguration is refused here, at construction: a user name without an encrypted channel (the
password would travel in clear, and DeltaV refuses it anyway), a password given twice, a policy
without a mode. Secrets are `SecretStr`, so neither repr() nor a log line shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.framework.credentials import read_secret_file

SecurityPolicy = Literal["None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]
SecurityMode = Literal["None", "Sign", "SignAndEncrypt"]


class DeltaVAdapterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_DELTAV_", extra="ignore")

    url: str | None = Field(default=None, description="DeltaV OPC UA server endpoint, opc.tcp://host:port/path")
    security_policy: SecurityPolicy = Field(default="Basic256Sha256", description="OPC UA security policy")
    security_mode: SecurityMode = Field(default="SignAndEncrypt", description="Message security mode")
    username: str | None = Field(default=None, description="OPC UA user (unset: anonymous, needs policy None)")
    password: SecretStr | None = Field(default=None, description="Password of `username` (or use password_file)")
    password_file: Path | None = Field(default=None, description="File holding the password (first line)")
    pki_dir: Path | None = Field(default=None, description="Where the client certificate and key are kept "
                                 "(generated on first start, key mode 0600); required with a security policy")
    application_uri: str = Field(default="urn:gxplink:adapter:deltav", description="ApplicationUri of the client "
                                 "certificate, as the server's trust list knows it")
    root: str = Field(default="DeltaV", description="Browse name of the plant folder under Objects")
    areas: list[str] = Field(default_factory=list, description='Areas to follow, a JSON list in the environment '
                             '(e.g. ["CAM-CP"]; empty: every area)')
    units: list[str] = Field(default_factory=list, description='Units to follow (e.g. ["BR-101", "CW-101"]; empty: '
                             'every unit of the areas); a unit that is not found is a configuration error')
    sampling_interval_ms: float = Field(default=500.0, ge=0, description="Sampling interval of monitored PVs")
    publishing_interval_ms: float = Field(default=500.0, gt=0, description="Subscription publishing interval")
    keepalive_count: int = Field(default=10, ge=1, description="Publishing intervals without data before the "
                                 "server sends a keep-alive (the stale-subscription watchdog counts on it)")
    deadband_percent: float = Field(default=0.5, ge=0, le=100, description="A PV is published when it moved "
                                    "this percent of its EURange (instrument span) from the last published "
                                    "value; 0 publishes every change")
    inbox_size: int = Field(default=10_000, ge=10, description="Notifications waiting for translation; beyond "
                            "it they are counted, dropped and recovered with HistoryRead and a resync")
    request_timeout_seconds: float = Field(default=10.0, gt=0, description="Answer time of one OPC UA request")
    watchdog_seconds: float = Field(default=1.0, gt=0, description="How often the session and the "
                                    "subscription are checked")
    stale_margin: float = Field(default=1.5, ge=1, description="A subscription silent for keep-alive period x "
                                "this margin is stale: reconnect and backfill")
    reconnect_initial_seconds: float = Field(default=0.5, gt=0, description="First reconnect delay")
    reconnect_max_seconds: float = Field(default=30.0, gt=0, description="Longest reconnect delay (backoff cap)")
    backfill_max_seconds: float = Field(default=3600.0, gt=0, description="Longest gap backfilled with "
                                        "HistoryRead (older samples are not fetched)")
    watermark_save_seconds: float = Field(default=5.0, gt=0, description="How often the last published sample "
                                          "time per PV is persisted (a restart backfills from it)")
    audit_poll_seconds: float = Field(default=5.0, gt=0, description="How often AuditTrail.GetEntries is read "
                                      "(also at once when AuditTrail/LastSeq changes)")
    audit_page: int = Field(default=500, ge=1, le=1000, description="MaxEntries of one GetEntries call")
    command_wait_seconds: float = Field(default=5.0, ge=0, description="How long a command waits for a session "
                                        "before it is retried later")
    health_grace_seconds: float = Field(default=30.0, ge=0, description="How long the subscription may be "
                                        "reconnecting, while the server answers, before health says degraded")

    @model_validator(mode="after")
    def _consistent_security(self) -> DeltaVAdapterConfig:
        secured = self.security_policy != "None"
        if secured != (self.security_mode != "None"):
            raise ValueError("security_policy and security_mode: both None, or a policy with Sign/SignAndEncrypt")
        if self.username and self.security_mode != "SignAndEncrypt":
            raise ValueError("username: a password is only sent over SignAndEncrypt (set security_mode)")
        if self.password is not None and self.password_file is not None:
            raise ValueError("password and password_file: give one of them")
        if (self.password is not None or self.password_file is not None) and not self.username:
            raise ValueError("password: needs a username")
        if self.reconnect_initial_seconds > self.reconnect_max_seconds:
            raise ValueError("reconnect_initial_seconds: must not exceed reconnect_max_seconds")
        return self

    @property
    def keepalive_seconds(self) -> float:
        return self.publishing_interval_ms * self.keepalive_count / 1000

    def secret(self) -> str | None:
        """The password, read from the file at each use (so it can be rotated); never logged."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is not None:
            lines = read_secret_file(self.password_file, "GXPLINK_DELTAV_PASSWORD_FILE").splitlines()
            return lines[0] if lines else ""
        return None
