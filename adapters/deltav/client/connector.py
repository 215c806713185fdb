"""Opening OPC UA sessions with DeltaV: endpoint, security policy and mode, client certificate, user.

asyncua's own reconnect is off and its stale-subscription watchdog disabled: the adapter's supervisor
(adapters.deltav.watchdog) owns recovery, so that every recovery ends with a HistoryRead backfill.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import security_policies as sp

from adapters.deltav.client.convert import safe_url, service
from adapters.deltav.client.session import OpcUaConnection
from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.pki import ensure_client_certificate

POLICIES: dict[str, Any] = {"Basic256Sha256": sp.SecurityPolicyBasic256Sha256,
                            "Aes128_Sha256_RsaOaep": sp.SecurityPolicyAes128Sha256RsaOaep,
                            "Aes256_Sha256_RsaPss": sp.SecurityPolicyAes256Sha256RsaPss}


class OpcUaConnector:
    def __init__(self, config: DeltaVAdapterConfig) -> None:
        if not config.url:
            raise ValueError("url: the DeltaV OPC UA endpoint is required (GXPLINK_DELTAV_URL)")
        if config.security_policy != "None" and config.pki_dir is None:
            raise ValueError("pki_dir: a secured endpoint needs a directory for the client certificate")
        self.config, self.url = config, safe_url(config.url)

    async def connect(self) -> OpcUaConnection:
        c = self.config
        client = Client(str(c.url), timeout=c.request_timeout_seconds, watchdog_intervall=c.watchdog_seconds)
        client.session_timeout, client.application_uri = 120_000, c.application_uri
        client.name = client.description = "gxplink DeltaV adapter"
        if c.security_policy != "None":
            assert c.pki_dir is not None
            cert, key = ensure_client_certificate(c.pki_dir, c.application_uri)
            await client.set_security(POLICIES[c.security_policy], str(cert), str(key),
                                      mode=getattr(ua.MessageSecurityMode, c.security_mode))
        if c.username:
            client.set_user(c.username)
            client.set_password(c.secret() or "")
        async with service(f"connecting to {self.url}"):
            await client.connect()
        client._stale_check_margin = float("inf")  # the adapter's watchdog owns staleness (and backfills after it)
        return OpcUaConnection(client, self)

    async def probe(self) -> bool:
        """Does the endpoint accept TCP connections? (No session: a probe leaves no trace in the DCS.)"""
        parts = urlsplit(str(self.config.url))
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port or 4840), 2)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True


