"""Connecting to NATS the way every long-running gxplink component must: reconnect forever.

A component outlives nats-server restarts (the embedded supervisor restarts a crashed server on
the same port; a cluster node may go away), so reconnects are unlimited and buffered publishes
are kept while disconnected.
"""

from __future__ import annotations

import logging
from typing import Any

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)


async def connect(url: str, name: str, **options: Any) -> Client:
    """A NATS connection named after the component (visible in server monitoring)."""

    async def on_disconnected() -> None:
        log.info("%s: disconnected from NATS", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    async def on_error(exc: Exception) -> None:
        log.warning("%s: NATS error: %s", name, exc)

    settings: dict[str, Any] = {
        "servers": [url],
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.25,
        "connect_timeout": 5,
        "disconnected_cb": on_disconnected,
        "reconnected_cb": on_reconnected,
        "error_cb": on_error,
    }
    settings.update(options)
    return await nats.connect(**settings)
