"""Native audit trail over HL7: the site-defined query QBP^Z99^QBP_Q11 answered by RSP^Z99^RSP_K11.

Conformance profile Z99 "LIMS audit trail" (query name `Z99^LIMS audit trail^99LIMS` in QPD-1):

  QBP^Z99^QBP_Q11   MSH, QPD, RCP
    QPD-1  Z99^LIMS audit trail^99LIMS      (required)
    QPD-2  query tag                        (echoed in QAK-1)
    QPD-3  after sequence number (NM)       entries with seq > this; empty = from the start
    QPD-4  record type (ST)                 e.g. order, result, interface, settings, outbound_message
    QPD-5  record id (ST)                   exact, or a prefix followed by "/" (ORD-000001 matches ORD-000001/VIAB)
    RCP-1  I (immediate); RCP-2 quantity limit `n^RD` (default 100, at most 1000)

  RSP^Z99^RSP_K11   MSH, MSA, [ERR], QAK, QPD (echo), {ZAU}
    QAK-2  OK (hits), NF (none), AE (bad query); QAK-4/5/6 hits total / in this message / remaining
    ZAU-1 seq | ZAU-2 when (DTM) | ZAU-3 who (XCN id^family^given) | ZAU-4 action | ZAU-5 record type |
    ZAU-6 record id | ZAU-7 field | ZAU-8 old value | ZAU-9 new value | ZAU-10 reason
Page by sending the last ZAU-1 as the next QPD-3 while QAK-6 > 0. Lists and objects travel as JSON text.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from simulators.common.audit import AuditEntry, NativeAuditTrail
from simulators.lims.acks import Hl7Error, Peer, msh
from simulators.lims.escape import encode
from simulators.lims.hl7v2 import Message, comp, dtm, join, seg
from simulators.reference import USERS

QUERY_NAME = "Z99^LIMS audit trail^99LIMS"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_NAMES = {u["id"]: u["name"] for u in USERS}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return encode(value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":")))


def _who(user: str) -> str:
    given, _, family = _NAMES.get(user, "").partition(" ")
    return comp(encode(user), encode(family), encode(given))


def zau(entry: AuditEntry) -> str:
    return seg("ZAU", str(entry.seq), dtm(datetime.fromisoformat(entry.at)), _who(entry.user), encode(entry.action),
               encode(entry.record_type), encode(entry.record_id), _text(entry.field), _text(entry.old),
               _text(entry.new), _text(entry.reason))


def _matches(entry: AuditEntry, record_type: str, record_id: str) -> bool:
    return (not record_type or entry.record_type == record_type) and \
        (not record_id or entry.record_id == record_id or entry.record_id.startswith(record_id + "/"))


def answer_audit_query(msg: Message, peer: Peer, trail: NativeAuditTrail, control_id: str, now: datetime) -> str:
    qpd, rcp = msg.first("QPD"), msg.first("RCP")
    errors: list[Hl7Error] = []
    if qpd is None or qpd.text(1, 1) != "Z99":
        errors.append(Hl7Error("103", f"unknown query {qpd.text(1, 1) if qpd else '(no QPD)'}; this LIMS answers "
                               f"{QUERY_NAME}", ("QPD", 1, 1)))
    after, limit = qpd.text(3) if qpd else "", rcp.text(2, 1) if rcp else ""
    if not after.isdigit() and after:
        errors.append(Hl7Error("102", f"QPD-3 must be a sequence number, got {after!r}", ("QPD", 1, 3)))
    if not limit.isdigit() and limit:
        errors.append(Hl7Error("102", f"RCP-2 must be a number of records, got {limit!r}", ("RCP", 1, 2)))
    head = msh(peer.application, peer.facility, now, "RSP^Z99^RSP_K11", control_id, peer.processing_id)
    tag = qpd.get(2) if qpd else ""
    echo = "|".join(qpd.fields) if qpd else seg("QPD", QUERY_NAME)
    if errors:
        return join([head, seg("MSA", "AE", peer.control_id, encode(errors[0].message[:80])),
                     *(e.segment() for e in errors), seg("QAK", tag, "AE", QUERY_NAME), echo])
    assert qpd is not None  # no QPD is an error above
    hits = [e for e in trail.since(int(after or 0), limit=10**9) if _matches(e, qpd.text(4), qpd.text(5))]
    page = hits[:min(int(limit or DEFAULT_LIMIT), MAX_LIMIT)]
    counts = (str(len(hits)), str(len(page)), str(len(hits) - len(page)))
    qak = seg("QAK", tag, "OK" if hits else "NF", QUERY_NAME, *counts)
    return join([head, seg("MSA", "AA", peer.control_id), qak, echo, *(zau(e) for e in page)])
