"""A bare MLLP client for tests (python-hl7's streams), independent of the adapter's own."""

from __future__ import annotations

import asyncio

from hl7.mllp import open_hl7_connection


async def send_frame(url: str, payload: bytes) -> bytes:
    host, port = url.removeprefix("mllp://").split(":")
    reader, writer = await open_hl7_connection(host, int(port))
    writer.writeblock(payload)
    await writer.drain()
    try:
        return bytes(await asyncio.wait_for(reader.readblock(), 10))
    finally:
        writer.close()
