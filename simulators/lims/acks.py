"""Acknowledgements in HL7 v2.5.1 original mode: MSA-1 AA / AE / AR, one ERR segment per problem.

ERR-2 names the location (segment^sequence^field^component), ERR-3 the HL7 table 0357 code, ERR-4 the
severity and ERR-8 a user message. MSA-2 always echoes the sender's MSH-10 when it could be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simulators.lims.escape import encode
from simulators.lims.hl7v2 import comp, dtm, join, seg
from simulators.reference import SITE

APP, FACILITY, VERSION, CHARSET = "LIMS", SITE["id"], "2.5.1", "UNICODE UTF-8"

TABLE_0357 = {
    "0": "Message accepted", "100": "Segment sequence error", "101": "Required field missing",
    "102": "Data type error", "103": "Table value not found", "200": "Unsupported message type",
    "201": "Unsupported event code", "202": "Unsupported processing id", "203": "Unsupported version id",
    "204": "Unknown key identifier", "205": "Duplicate key identifier", "206": "Application record locked",
    "207": "Application internal error",
}


@dataclass(frozen=True)
class Hl7Error:
    code: str  # HL7 table 0357
    message: str
    location: tuple[str | int, ...] = ()  # ("OBR", 1, 4) = OBR, first occurrence, field 4
    severity: str = "E"

    def segment(self) -> str:
        where = comp(*(str(part) for part in self.location))
        return seg("ERR", "", where, comp(self.code, TABLE_0357.get(self.code, ""), "HL70357"), self.severity,
                   "", "", "", encode(self.message))


@dataclass(frozen=True)
class Peer:
    """Who we answer: MSH-3/4/10/11 and the trigger event of the incoming message, already safe to echo."""
    application: str = ""
    facility: str = ""
    control_id: str = ""
    processing_id: str = "P"
    trigger: str = ""


def msh(to_app: str, to_facility: str, when: datetime, message_type: str, control_id: str,
        processing_id: str = "P", accept_ack: str = "", application_ack: str = "") -> str:
    """Our header; MSH-18 declares UTF-8 because comments may carry any character."""
    return seg("MSH", "^~\\&", APP, FACILITY, to_app, to_facility, dtm(when), "", message_type, control_id,
               processing_id or "P", VERSION, "", "", accept_ack, application_ack, "", CHARSET)


def ack(peer: Peer, code: str, control_id: str, when: datetime, errors: Sequence[Hl7Error] = (),
        text: str = "") -> str:
    """ACK^<trigger>^ACK, e.g. ACK^O21^ACK; plain ACK when the trigger could not be read."""
    kind = comp("ACK", peer.trigger, "ACK") if peer.trigger else "ACK"
    message = errors[0].message if errors and not text else text
    segments = [msh(peer.application, peer.facility, when, kind, control_id, peer.processing_id),
                seg("MSA", code, peer.control_id, encode(message[:80]))]
    return join([*segments, *(e.segment() for e in errors)])
