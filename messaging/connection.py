"""Connecting to NATS the way every long-running gxplink component must: reconnect forever.

A component outlives nats-server restarts (the embedded supervisor restarts a crashed server on
the same port; a cluster node may go away), so reconnects are unlimited and buffered publishes
are kept while disconnected.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import nats
from nats.aio.client import Client

from messaging.auth import NatsUser

log = logging.getLogger(__name__)


async def connect(url: str, name: str, *, identity: NatsUser | None = None, tls: ssl.SSLContext | None = None,
                  tls_handshake_first: bool = True, **options: Any) -> Client:
    """A NATS connection named after the component (visible in server monitoring).

    `url` may list several servers of one cluster, comma-separated; the client learns the others.

    With `identity` it authenticates as that component (and uses its own inbox prefix); with `tls`
    it uses TLS, verifying the server against the context's CA (starting with the handshake, as
    gxplink's embedded server expects; an external server upgrades after its INFO instead).
    """

    async def on_disconnected() -> None:
        log.info("%s: disconnected from NATS", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    async def on_error(exc: Exception) -> None:
        # A permissions violation lands here too: the server denied it, and it is reported, not retried.
        log.warning("%s: NATS error: %s", name, exc)

    settings: dict[str, Any] = {
        "servers": [u.strip() for u in url.split(",") if u.strip()],  # a cluster: any seed will do
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.25,
        "connect_timeout": 5,
        "disconnected_cb": on_disconnected,
        "reconnected_cb": on_reconnected,
        "error_cb": on_error,
    }
    if identity is not None:
        settings.update(identity.connect_options())
    if tls is not None:
        settings.update(tls=tls, tls_handshake_first=tls_handshake_first)
    settings.update(options)
    return await nats.connect(**settings)
