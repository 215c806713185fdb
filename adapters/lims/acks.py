"""HL7 v2 acknowledgements: the ones gxplink sends, and reading the ones the LIMS sends.

Original-mode ACKs: AA when the message is durably taken, AE (application error, with an ERR
segment saying where and why) when its content cannot be taken, AR when it is not an HL7 message
gxplink can read at all. Error codes are HL7 table 0357.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from canonical_model.ids import new_id
from mappings.engine.errors import TranslationError
from mappings.engine.hl7 import Delimiters, parse_hl7

D = Delimiters()
TRANSIENT_CODES = {"207"}  # application internal error: worth trying again


def ack(incoming: bytes, code: str, application: str, error: str | None = None, location: str = "") -> bytes:
    """An ACK for `incoming` (whatever of its MSH can be read is echoed)."""
    try:
        header = parse_hl7(incoming)
        control, version = header.control_id, header.version or "2.5.1"
        sender = [header.field(0, 3), header.field(0, 4)]
        trigger = header.field(0, 9).split(header.delimiters.component)[1:2]
    except TranslationError:
        control, version, sender, trigger = "", "2.5.1", ["", ""], []
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
    msh_9 = "^".join(["ACK", *trigger, "ACK"]) if trigger else "ACK"
    segments = [
        f"MSH|^~\\&|{application}|CAM|{sender[0]}|{sender[1]}|{now}||{msh_9}|{new_id()}|P|{version}",
        f"MSA|{code}|{D.encode(control)}",
    ]
    if error:
        severity = "E"
        hl7_code = "207" if code == "AE" else "100"
        loc = "^".join(_location(location))
        segments.append(f"ERR||{loc}|{hl7_code}^{_text(hl7_code)}^HL70357|{severity}||||{D.encode(error[:500])}")
    return "\r".join(segments).encode() + b"\r"


def _location(path: str) -> list[str]:
    """An HL7 path like 'OBX #3 OBX-5' as ERR-2 (segment id, sequence, field)."""
    parts = path.split()
    token = next((p for p in reversed(parts) if "-" in p and p[:3].isalnum()), "")
    if not token:
        return []
    seg, _, field = token.partition("-")
    sequence = next((p.lstrip("#") for p in parts if p.startswith("#")), "1")
    # Only the field number: a rule's path may name alternatives ("OBX-14|OBR-22|MSH-7"), whose '|' would
    # otherwise split the ERR segment and move the error text out of ERR-8.
    number = re.match(r"\d*", field)
    return [D.encode(seg[:3]), D.encode(sequence), number.group() if number else ""]


def _text(code: str) -> str:
    return {"100": "Segment sequence error", "207": "Application internal error"}.get(code, "Error")


@dataclass(frozen=True)
class AckReading:
    code: str  # AA, AE, AR, CA, CE, CR
    error_code: str | None
    error_text: str | None

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")

    @property
    def transient(self) -> bool:
        return self.error_code in TRANSIENT_CODES


def read_ack(raw: bytes) -> AckReading:
    message = parse_hl7(raw)
    msa = next(s for s in message.segments if s[0] == "MSA")
    err = next((s for s in message.segments if s[0] == "ERR"), None)
    code = err[3].split(message.delimiters.component)[0] if err is not None and len(err) > 3 else None
    text = message.delimiters.decode(err[8]) if err is not None and len(err) > 8 and err[8] else None
    return AckReading(msa[1], code or None, text or (msa[3] if len(msa) > 3 and msa[3] else None))



def refusals(raw: bytes) -> list[str]:
    """Why an answer (an MFK) refuses: every ERR-8 text, else '<MFA-2>: <reason>' of each record not posted."""
    message = parse_hl7(raw)
    d, comp = message.delimiters, message.delimiters.component
    errors = [d.decode(s[8]) for s in message.segments if s[0] == "ERR" and len(s) > 8 and s[8]]
    if errors:
        return errors
    found = []
    for mfa in (s for s in message.segments if s[0] == "MFA"):
        status = mfa[4].split(comp) if len(mfa) > 4 else [""]
        if status[0] != "S":
            reason = d.decode(status[1]) if len(status) > 1 and status[1] else status[0] or "?"
            found.append(f"{d.decode(mfa[2]) if len(mfa) > 2 else '?'}: {reason}")
    return found
