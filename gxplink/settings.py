"""gxplink's own settings, from `GXPLINK_*` environment variables (documented in the README).

Components receive plain values from the composition root, never this object, so they stay
testable without an environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_", extra="ignore")

    data_dir: Path = Field(default=Path(".gxplink"), description="Where all state lives (NATS store, database)")
    nats_url: str | None = Field(
        default=None, description="External NATS server or cluster (seed URLs, comma-separated); unset starts the "
        "embedded nats-server"
    )
    db_url: str | None = Field(
        default=None, description="SQLAlchemy URL, e.g. postgresql://user@host/db; unset uses <data-dir>/gxplink.db"
    )
    jetstream_sync: Literal["always", "interval"] = Field(
        default="always",
        description="Embedded server only: fsync every write (always) or every 2 minutes (interval, faster, "
        "may lose acknowledged data on power loss)",
    )
    stream_max_age_days: float = Field(default=30.0, gt=0, description="How long streams keep messages")
    duplicate_window_seconds: float = Field(
        default=300.0, gt=0, description="JetStream window in which a repeated Nats-Msg-Id is dropped"
    )
    stream_replicas: int = Field(default=1, ge=1, le=5, description="Stream replicas (3 in a cluster)")
    log_level: str = Field(default="WARNING", description="Python logging level")
    secure: bool = Field(default=False, description="Per-component NATS credentials and permissions over TLS "
                         "(a data dir once secured stays secured)")
    nats_creds: Path | None = Field(default=None, description="This process's NATS credentials file (JSON user "
                                    "and password, mode 0600); default <data-dir>/creds/<component>.json")
    nats_ca: Path | None = Field(default=None, description="CA that signed the NATS server's certificate; "
                                 "default <data-dir>/tls/ca.pem when secured")

    instance: Literal["sponsor", "cdmo"] | None = Field(default=None, description="Tech transfer: run as the "
                                                         "sponsor's or the CDMO's instance, linked by a NATS leaf node")
    transfer_link: Path | None = Field(default=None, description="CDMO instance: the sponsor's link file "
                                       "(<sponsor data dir>/transfer/link.json)")
    console_host: str = Field(default="127.0.0.1", description="Address the web console listens on")
    console_port: int = Field(default=0, ge=0, le=65535, description="Port of the web console (0: any free port)")
    console_health_urls: str = Field(default="", description="`gxplink run console`: the /health URLs of the "
                                     "components to show, comma-separated")
    console_idle_minutes: float = Field(default=15.0, gt=0, description="Console sessions end after this long "
                                        "without a request")
    console_secure_cookies: bool = Field(default=False, description="Mark console cookies Secure (set it when "
                                         "the console is served over HTTPS)")

    def with_data_dir(self, data_dir: Path | None) -> Settings:
        return self.model_copy(update={"data_dir": data_dir}) if data_dir else self

    def secured(self, secure: bool) -> Settings:
        return self.model_copy(update={"secure": True}) if secure else self
