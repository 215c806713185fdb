"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol): <VT> message <FS><CR>.

Readers resynchronise the way interface engines do: bytes before the last start block of a frame are
dropped (a half frame followed by a new one), and a frame larger than the cap is answered from its
first bytes and then skipped up to its end, so the connection keeps serving.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

VT, FS, CR = b"\x0b", b"\x1c", b"\r"
END = FS + CR
MAX_FRAME_BYTES = 1024 * 1024  # far above a 155-OBX public-health ORU (~40 kB)


class FrameTooLarge(Exception):
    def __init__(self, prefix: bytes) -> None:
        super().__init__(f"MLLP frame larger than {MAX_FRAME_BYTES} bytes")
        self.prefix = prefix


@dataclass(frozen=True)
class Frame:
    payload: bytes
    started: bool  # False when the block had no <VT> start byte: a framing error

    def text(self) -> str:
        """HL7 v2 is ASCII by default; MSH-18 may say UTF-8 or Latin-1, so try UTF-8 first."""
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return self.payload.decode("latin-1")


async def skip_frame(reader: asyncio.StreamReader, timeout: float | None = None) -> bool:
    """Discard the rest of an oversized frame; False when the peer closed before its end."""
    while True:
        try:
            await asyncio.wait_for(reader.readuntil(END), timeout)
            return True
        except asyncio.LimitOverrunError as exc:
            await reader.read(max(exc.consumed, 1))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return False


def wrap(payload: bytes) -> bytes:
    return VT + payload + END


async def read_frame(reader: asyncio.StreamReader, timeout: float | None = None) -> Frame | None:
    """The next frame, or None when the peer closed (cleanly or in the middle of a frame).

    Raises FrameTooLarge past the reader's limit and TimeoutError when nothing complete arrives in time.
    """
    try:
        block = await asyncio.wait_for(reader.readuntil(END), timeout)
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise FrameTooLarge(await reader.read(512)) from None  # the prefix may still hold a readable MSH-10
    except (ConnectionError, OSError):
        return None
    body = block[:-2]
    start = body.rfind(VT)
    return Frame(body[start + 1:], True) if start >= 0 else Frame(body, False)


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes, timeout: float,
) -> Frame | None:
    """Send one framed message and wait for the next frame (the peer's ACK); None when the peer closed."""
    writer.write(wrap(payload))
    await writer.drain()
    return await read_frame(reader, timeout)
