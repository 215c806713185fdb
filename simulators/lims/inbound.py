"""What the LIMS answers to each inbound MLLP frame.

Accepted: OML^O21 (answered ACK^O21^ACK), the audit query QBP^Z99 (answered RSP^Z99) and the test master
files MFN^M08/M09 (answered MFK^M08/M09, see mfn.py). Everything
else is answered, never dropped: AR with ERR for a broken envelope or header (no MSH, odd delimiters,
missing MSH-9/10/12, unsupported version 2.x other than 2.5/2.5.1, processing id other than P/D/T) or an
unsupported message type or event; AE with ERR for order content the LIMS cannot take. MSA-2 echoes
MSH-10 whenever it can be read. ACKs are not acknowledged (HL7 forbids acknowledging an ACK). A message
repeated with the same MSH-3/4/10 (the sender missed our ACK) is acknowledged again, not re-registered.
The `error` fault answers AE with ERR 207 "simulated fault" and registers nothing.
"""

from __future__ import annotations

from simulators.common.base import SimContext
from simulators.lims.acks import Hl7Error, Peer, ack
from simulators.lims.hl7v2 import DELIMITERS, Message, parse
from simulators.lims.lab import Lab
from simulators.lims.mfn import answer_master_file
from simulators.lims.mllp import Frame
from simulators.lims.oml import read_order
from simulators.lims.query import answer_audit_query
from simulators.lims.store import LimsStore

VERSIONS = ("2.5.1", "2.5")
PROCESSING_IDS = ("P", "D", "T")


def peer_of(msg: Message) -> Peer:
    """Raw values echo safely under our delimiters; under foreign ones only a cleaned MSH-10 is kept."""
    head = msg.msh
    if head is None:
        return Peer()
    standard = msg.field_separator == "|" and msg.declared == DELIMITERS
    control = head.get(10, 0)
    if not standard:
        control = "".join(ch for ch in control if ch.isalnum() or ch in "-_.:")
    return Peer(head.get(3, 0) if standard else "", head.get(4, 0) if standard else "", control,
                head.get(11, 1) if standard else "P", head.get(9, 2) if standard else "")


def header_errors(msg: Message, frame: Frame) -> list[Hl7Error]:
    """Envelope problems that make the LIMS reject (AR) the message without reading it."""
    head = msg.msh
    if not frame.started:
        return [Hl7Error("100", "MLLP framing error: the block has no <VT> start byte", ("MSH", 1))]
    if not frame.payload.strip():
        return [Hl7Error("100", "empty message", ("MSH", 1))]
    if head is None:
        return [Hl7Error("100", "the message does not start with an MSH segment", ("MSH", 1))]
    if msg.field_separator != "|" or msg.declared != DELIMITERS:
        return [Hl7Error("102", "unsupported delimiters; this LIMS reads |^~\\& only", ("MSH", 1, 2))]
    errors = [Hl7Error("101", f"MSH-{n} {name} is required", ("MSH", 1, n))
              for n, name in ((9, "message type"), (10, "message control id"), (12, "version id")) if not head.get(n)]
    if head.get(12) and head.get(12) not in VERSIONS:
        errors.append(Hl7Error("203", f"HL7 version {head.get(12)} is not supported; send 2.5.1", ("MSH", 1, 12)))
    if head.get(11) and head.get(11) not in PROCESSING_IDS:
        errors.append(Hl7Error("202", f"processing id {head.get(11)} is not supported", ("MSH", 1, 11)))
    return errors + _segment_id_errors(msg)


def _segment_id_errors(msg: Message) -> list[Hl7Error]:
    """A bad id is usually a line break inside a field: point at the segment it broke."""
    bad, errors, last = set(msg.bad_segment_ids), [], ("MSH", 1)
    counts: dict[str, int] = {}
    for segment in msg.segments:
        if segment.name in bad:
            errors.append(Hl7Error("100", f"invalid segment id {segment.name!r} after {last[0]} #{last[1]} "
                                   "(a line break inside a field?)", last))
        else:
            counts[segment.name] = counts.get(segment.name, 0) + 1
            last = (segment.name, counts[segment.name])
    return errors[:5]


class Inbound:
    def __init__(self, store: LimsStore, ctx: SimContext, lab: Lab) -> None:
        self.store, self.ctx, self.lab = store, ctx, lab

    def _control_id(self) -> str:
        return self.store.next_id("msh10", "LIMS", 8)

    def nak(self, peer: Peer, errors: list[Hl7Error], code: str = "AR") -> str:
        return ack(peer, code, self._control_id(), self.ctx.clock.now(), errors)

    def answer(self, frame: Frame) -> str | None:
        """The reply text for one frame, or None when no reply is due (an incoming ACK)."""
        msg = parse(frame.text())
        peer = peer_of(msg)
        errors = header_errors(msg, frame)
        if errors:
            return self.nak(peer, errors)
        assert msg.msh is not None
        kind, trigger = msg.msh.get(9, 1), msg.msh.get(9, 2)
        if kind == "ACK":
            return None
        if self.ctx.faults.error():
            return self.nak(peer, [Hl7Error("207", "simulated fault", ("MSH", 1, 9))], "AE")
        if (kind, trigger) == ("OML", "O21"):
            return self._order(msg, peer)
        if (kind, trigger) == ("QBP", "Z99"):
            return answer_audit_query(msg, peer, self.ctx.audit, self._control_id(), self.ctx.clock.now())
        if (kind, trigger) in (("MFN", "M08"), ("MFN", "M09")):
            return self._master_file(msg, peer)
        if kind in ("OML", "QBP", "MFN"):
            return self.nak(peer, [Hl7Error("201", f"event {kind}^{trigger} is not supported", ("MSH", 1, 9, 2))])
        return self.nak(peer, [Hl7Error("200", f"message type {kind}^{trigger} is not supported; this LIMS accepts "
                                        "OML^O21, QBP^Z99 and MFN^M08/M09", ("MSH", 1, 9))])

    def _master_file(self, msg: Message, peer: Peer) -> str:
        text, changed = answer_master_file(msg, peer, self.store.catalog, self.ctx.audit, self._control_id(),
                                           self.ctx.clock.now())
        if changed:
            self.store.save()
        return text

    def _order(self, msg: Message, peer: Peer) -> str:
        head = msg.msh
        assert head is not None
        key = "|".join((head.get(3, 0), head.get(4, 0), head.get(10, 0)))
        if (known := self.store.seen(key)) is not None:
            return ack(peer, "AA", self._control_id(), self.ctx.clock.now(), text=f"duplicate of {known}")
        request, errors = read_order(msg, self.store.catalog)
        if not errors and request.control == "CA":
            errors = self._cancel(request.placer_order, head.text(3, 1))
        elif not errors:
            existing = next((o for o in self.store.orders.values() if o["placer_order"] == request.placer_order
                             and o["placer_application"] == head.get(3, 0)), None)
            if existing is not None:
                errors = [Hl7Error("205", f"placer order {request.placer_order} is already registered as "
                                   f"{existing['order_id']}", ("ORC", 1, 2))]
            else:
                order = self.lab.register(request, f"interface:{head.text(3, 1) or 'unknown'}", "hl7",
                                          (head.get(3, 0), head.get(4, 0)))
                self.store.remember(key, order["order_id"])
                self.store.save()
                return ack(peer, "AA", self._control_id(), self.ctx.clock.now(), text=order["order_id"])
        if errors:
            return self.nak(peer, errors, "AE")
        return ack(peer, "AA", self._control_id(), self.ctx.clock.now(), text="cancelled")

    def _cancel(self, placer: str, sender: str) -> list[Hl7Error]:
        try:
            order = self.store.order(placer)
            self.lab.cancel(order, f"interface:{sender or 'unknown'}", "cancelled by the placer (ORC-1 CA)")
        except KeyError:
            return [Hl7Error("204", f"no order with placer number {placer}", ("ORC", 1, 2))]
        except ValueError as exc:
            return [Hl7Error("206", str(exc), ("ORC", 1, 1))]
        return []
