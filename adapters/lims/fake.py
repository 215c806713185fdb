"""An in-memory LIMS for unit and contract tests: it takes orders like the real LIMS's MLLP port.

It answers AA, or AE with an ERR for test codes it does not know, drops repeated MSH-10s like the
real LIMS, and can be switched "down" (RetryableError, as a refused connection gives).
"""

from __future__ import annotations

from adapters.lims.acks import ack
from mappings.engine.hl7 import parse_hl7
from messaging.errors import RetryableError

KNOWN_CODES = {"VIAB", "CD3", "CARPOS", "VCN", "TNC", "ENDO", "STER", "MYCO", "CART19-REL"}


class FakeLimsSender:
    host, port = "fake-lims", 0

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.orders: dict[str, list[str]] = {}  # placer order number -> test codes
        self.down = False

    async def send(self, message: bytes) -> bytes:
        if self.down:
            raise RetryableError("fake LIMS is down")
        parsed = parse_hl7(message)
        self.received.append(message)
        codes = [s[4].split("^")[0] for s in parsed.segments if s[0] == "OBR" and len(s) > 4]
        unknown = [c for c in codes if c not in KNOWN_CODES]
        if unknown:
            return ack(message, "AE", "LIMS", f"unknown test code {unknown[0]}", "OBR #1 OBR-4")
        orc = next((s for s in parsed.segments if s[0] == "ORC"), ())
        placer = orc[2].split("^")[0] if len(orc) > 2 else parsed.control_id
        self.orders.setdefault(placer, codes)  # a repeated MSH-10 / placer number registers nothing new
        return ack(message, "AA", "LIMS")

    async def probe(self) -> bool:
        return not self.down
