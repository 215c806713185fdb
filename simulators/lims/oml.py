"""Reading an OML^O21 laboratory order into what the LIMS registers.

Where the LIMS takes its ids from (documented for adapter writers):
- order: one LIMS order per message, numbered by the LIMS (ORD-nnnnnn, our filler order number); the placer's
  order number is ORC-2.1 (or OBR-2.1) of the first order group and can be used to find it again;
- tests: OBR-4 of each ORC/OBR group (LIMS code, LOINC with coding system LN, alternate triplet OBR-4.4/4.6,
  or the panel CART19-REL);
- sample: SPM-2.1 (placer specimen id), else SPM-2.2 (filler specimen id), else numbered by the LIMS;
- batch: ORC-4.1 (placer group number: all orders for one batch), else SPM-3.1 (parent specimen);
- comments: NTE-3 after ORC/OBR (escape sequences decoded), echoed in the ORU.
ORC-1 NW registers an order, CA cancels the order with that placer number. Unknown test codes and
missing required fields reject the whole message with AE (nothing is registered), one ERR per problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.lims.acks import Hl7Error
from simulators.lims.catalog import resolve
from simulators.lims.hl7v2 import Message, Segment


@dataclass
class OrderLine:
    code: str  # as ordered (test or panel)
    tests: list[str]
    placer_order: str
    comments: list[str] = field(default_factory=list)


@dataclass
class OrderRequest:
    control: str = "NW"
    placer_order: str = ""
    batch_id: str | None = None
    sample_id: str | None = None
    sample_type: str | None = None
    lines: list[OrderLine] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _notes(nte: Segment) -> list[str]:
    return [nte.text(3, 0, repetition=r) for r in range(1, nte.repetitions(3) + 1)]


def _test_line(obr: Segment, seq: int, catalog: dict[str, Any], placer: str) \
        -> tuple[OrderLine | None, Hl7Error | None]:
    code, system = obr.text(4, 1), obr.text(4, 3)
    if not code:
        return None, Hl7Error("101", "OBR-4 universal service identifier (test code) is required", ("OBR", seq, 4))
    tests = resolve(catalog, code, system) or (resolve(catalog, obr.text(4, 4), obr.text(4, 6)) if obr.text(4, 4)
                                                 else None)
    if tests is None:
        shown = f"{code} ({system})" if system else code
        return None, Hl7Error("103", f"unknown test code {shown} (not in the LIMS test catalog)", ("OBR", seq, 4))
    return OrderLine(code, tests, obr.text(2, 1) or placer), None


def read_order(msg: Message, catalog: dict[str, Any]) -> tuple[OrderRequest, list[Hl7Error]]:
    request, errors = OrderRequest(), []
    orc: Segment | None = None
    line: OrderLine | None = None
    counts: dict[str, int] = {}
    for segment in msg.segments[1:]:
        seq = counts[segment.name] = counts.get(segment.name, 0) + 1
        if segment.name == "ORC":
            orc, line = segment, None
            if seq == 1:
                request.control = segment.text(1) or "NW"
                request.placer_order = segment.text(2, 1)
                request.batch_id = segment.text(4, 1) or None
            if segment.text(1) not in ("NW", "CA"):
                errors.append(Hl7Error("103", f"order control {segment.text(1) or '(empty)'} is not supported; "
                                       "use NW or CA", ("ORC", seq, 1)))
        elif segment.name == "OBR":
            if orc is None:
                errors.append(Hl7Error("100", "OBR without a preceding ORC", ("OBR", seq)))
                continue
            placer = orc.text(2, 1) or segment.text(2, 1)
            request.placer_order = request.placer_order or placer
            line, error = _test_line(segment, seq, catalog, placer)
            if error:
                errors.append(error)
            if line:
                request.lines.append(line)
        elif segment.name == "NTE":
            (line.comments if line else request.comments).extend(_notes(segment))
        elif segment.name == "SPM" and request.sample_id is None:
            request.sample_id = segment.text(2, 1) or segment.text(2, 2) or None
            request.sample_type = segment.text(4, 2) or segment.text(4, 1) or None
            request.batch_id = request.batch_id or segment.text(3, 1) or None
    if counts.get("ORC", 0) == 0:
        errors.append(Hl7Error("100", "OML^O21 needs at least one ORC/OBR order group", ("ORC", 1)))
    elif not request.placer_order:
        errors.append(Hl7Error("101", "ORC-2 placer order number is required", ("ORC", 1, 2)))
    elif request.control == "NW" and not request.lines and not errors:
        errors.append(Hl7Error("101", "no OBR test requested", ("OBR", 1)))
    return request, errors
