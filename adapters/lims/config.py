"""LIMS adapter settings (`GXPLINK_LIMS_*`); every field says what it is for."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LimsAdapterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GXPLINK_LIMS_", extra="ignore")

    listen_host: str = Field(default="127.0.0.1", description="Interface the ORU^R01 MLLP listener binds")
    listen_port: int = Field(default=0, ge=0, le=65535, description="Listener port (0: any free port)")
    lims_url: str | None = Field(default=None, description="The LIMS's MLLP address for orders, mllp://host:port")
    ack_timeout_seconds: float = Field(default=10.0, gt=0, description="How long to wait for the LIMS's ACK")
    send_attempts: int = Field(default=3, ge=1, description="Sends of one order (same MSH-10) before redelivery")
    max_frame_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="Largest accepted MLLP frame")
    audit_poll_seconds: float = Field(default=5.0, gt=0, description="How often the LIMS audit trail is read")
    sending_application: str = Field(default="GXPLINK", description="MSH-3/5 name gxplink uses")
