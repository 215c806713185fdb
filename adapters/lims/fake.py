"""An in-memory LIMS for unit and contract tests: it takes orders like the real LIMS's MLLP port.

It answers AA, or AE with an ERR for test codes it does not know, drops repeated MSH-10s like the
real LIMS, and can be switched "down" (RetryableError, as a refused connection gives). Master file
notifications (MFN^M08/M09) are answered with an MFK: every record posted, or the whole message refused
(AE, MFA U) when a record names a test it does not know without the method that reports it (OM1-14).
"""

from __future__ import annotations

from adapters.lims.acks import ack
from mappings.engine.hl7 import Hl7Message, parse_hl7
from messaging.errors import RetryableError

KNOWN_CODES = {"VIAB", "CD3", "CARPOS", "VCN", "TNC", "ENDO", "STER", "MYCO", "CART19-REL"}


class FakeLimsSender:
    host, port = "fake-lims", 0

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.orders: dict[str, list[str]] = {}  # placer order number -> test codes
        self.down = False
        self.master_records: list[str] = []  # MFE-4 of every posted master file record

    async def send(self, message: bytes) -> bytes:
        if self.down:
            raise RetryableError("fake LIMS is down")
        parsed = parse_hl7(message)
        self.received.append(message)
        if parsed.message_type.startswith("MFN^"):
            return self._master_file(parsed)
        codes = [s[4].split("^")[0] for s in parsed.segments if s[0] == "OBR" and len(s) > 4]
        unknown = [c for c in codes if c not in KNOWN_CODES]
        if unknown:
            return ack(message, "AE", "LIMS", f"unknown test code {unknown[0]}", "OBR #1 OBR-4")
        orc = next((s for s in parsed.segments if s[0] == "ORC"), ())
        placer = orc[2].split("^")[0] if len(orc) > 2 else parsed.control_id
        self.orders.setdefault(placer, codes)  # a repeated MSH-10 / placer number registers nothing new
        return ack(message, "AA", "LIMS")

    def _master_file(self, parsed: Hl7Message) -> bytes:
        comp, records, unknown = parsed.delimiters.component, [], []
        for i in parsed.indices("MFE"):
            om1 = parsed.segments[i + 1] if i + 1 < len(parsed.segments) else ()
            code = om1[2].split(comp)[0] if len(om1) > 2 else ""
            records.append((parsed.segments[i], code))
            if code not in KNOWN_CODES and not (len(om1) > 14 and om1[14]):
                unknown.append(f"{parsed.segments[i][2]}: unknown test {code}")
        trigger = parsed.message_type.split("^")[1]
        status = "AE" if unknown else "AA"
        lines = [f"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20260101000000+0000||MFK^{trigger}^MFK_M01|F-{len(self.received)}|P|"
                 "2.5.1", f"MSA|{status}|{parsed.control_id}"]
        if unknown:
            lines += [f"ERR||MFE^1^4|204^Unknown key identifier^HL70357|E||||{problem}" for problem in unknown]
        else:
            self.master_records += [mfe[4] for mfe, _ in records]
        lines.append(f"MFI|{parsed.field(parsed.indices('MFI')[0], 1)}||UPD|||AL")
        for mfe, _ in records:
            result = "U^not posted^HL70181" if unknown else "S^posted^HL70181"
            lines.append(f"MFA|MAD|{mfe[2]}||{result}|{mfe[4]}|{mfe[5]}")
        return ("\r".join(lines) + "\r").encode()

    async def probe(self) -> bool:
        return not self.down
