"""MLLP over TCP, framed by python-hl7's MLLP streams: the only module that touches the wire.

`MllpListener` receives messages and writes the answer its handler returns; `MllpSender` sends a
message and waits for the ACK whose MSA-2 matches the message's MSH-10.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urlsplit

from hl7.mllp import InvalidBlockError, open_hl7_connection, start_hl7_server

from mappings.engine.errors import TranslationError
from mappings.engine.hl7 import parse_hl7
from messaging.errors import RetryableError

log = logging.getLogger(__name__)
Handler = Callable[[bytes, str], Awaitable[bytes | None]]  # (message, peer) -> answer, or None: no answer


class MllpListener:
    def __init__(self, handler: Handler, host: str, port: int, max_frame: int) -> None:
        self.handler, self.host, self.port, self.max_frame = handler, host, port, max_frame
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"mllp://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await start_hl7_server(self._serve, self.host, self.port, limit=self.max_frame)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def _serve(self, reader: object, writer: object) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        peer = "mllp://{}:{}".format(*writer.get_extra_info("peername")[:2])  # type: ignore[attr-defined]
        try:
            while True:
                try:
                    block = await reader.readblock()  # type: ignore[attr-defined]
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except (InvalidBlockError, ValueError) as exc:  # not MLLP framed, or over the size limit
                    answer = await self.handler(b"", f"{peer} ({exc})")
                    if answer:
                        writer.writeblock(answer)  # type: ignore[attr-defined]
                    return
                answer = await self.handler(bytes(block), peer)
                if answer is None:
                    return  # could not take it durably: no ACK, so the sender resends
                writer.writeblock(answer)  # type: ignore[attr-defined]
                await writer.drain()  # type: ignore[attr-defined]
        finally:
            with contextlib.suppress(Exception):
                writer.close()  # type: ignore[attr-defined]
            if task is not None:
                self._connections.discard(task)


class LimsSender(Protocol):
    """What the adapter needs to talk to a LIMS: the real MLLP sender, or the fake for tests."""

    host: str
    port: int

    async def send(self, message: bytes) -> bytes: ...
    async def probe(self) -> bool: ...


class MllpSender:
    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "mllp" or not parts.hostname or not parts.port:
            raise ValueError(f"not an MLLP address (mllp://host:port): {url!r}")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout

    async def send(self, message: bytes) -> bytes:
        """The ACK to `message`; RetryableError when the LIMS is down, silent or answers another message."""
        control_id = parse_hl7(message).control_id
        try:
            reader, writer = await asyncio.wait_for(open_hl7_connection(self.host, self.port), self.timeout)
        except (OSError, TimeoutError) as exc:
            raise RetryableError(f"LIMS at {self.host}:{self.port} unreachable: {exc}") from None
        try:
            writer.writeblock(message)
            await writer.drain()
            while True:
                ack = bytes(await asyncio.wait_for(reader.readblock(), self.timeout))
                if _acknowledges(ack, control_id):
                    return ack
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, InvalidBlockError) as exc:
            raise RetryableError(f"no ACK for {control_id} from the LIMS: {type(exc).__name__}") from None
        finally:
            writer.close()

    async def probe(self) -> bool:
        """Can we open a connection? (No message is sent: a health probe has no side effects.)"""
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 2)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True


def _acknowledges(ack: bytes, control_id: str) -> bool:
    try:
        message = parse_hl7(ack)
    except TranslationError:
        return False
    msa = next((s for s in message.segments if s[0] == "MSA"), None)
    return msa is not None and len(msa) > 2 and msa[2] == control_id
