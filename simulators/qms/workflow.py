"""Lifecycle rules of the four QMS record kinds, as a validated GxP workflow enforces them.

The rules live here, apart from SOAP, so that the SOAP operations and the QA actions of the admin
endpoint refuse the same things. Every refusal names its rule id, as a QMS configuration would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class QmsError(ValueError):
    """A request the QMS refuses; `faultcode` is the SOAP 1.1 fault code it is answered with."""

    faultcode = "Client"


class UnknownRecord(QmsError):
    faultcode = "Client.UnknownRecord"


class InvalidInput(QmsError):
    faultcode = "Client.InvalidInput"


class InvalidTransition(QmsError):
    faultcode = "Client.InvalidTransition"


KINDS = ("deviation", "investigation", "capa", "change_control")
LABELS = {"deviation": "Deviation", "investigation": "Investigation", "capa": "CAPA",
          "change_control": "Change control"}

TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "deviation": {
        "open": ("under_investigation", "cancelled"),
        "under_investigation": ("pending_capa", "closed", "cancelled"),
        "pending_capa": ("closed", "under_investigation"),
        "closed": (), "cancelled": (),
    },
    "investigation": {
        "open": ("in_progress", "cancelled"),
        "in_progress": ("completed", "cancelled"),
        "completed": (), "cancelled": (),
    },
    "capa": {
        "open": ("in_progress", "cancelled"),
        "in_progress": ("effectiveness_check", "cancelled"),
        "effectiveness_check": ("closed", "in_progress"),
        "closed": (), "cancelled": (),
    },
    "change_control": {
        "draft": ("under_review", "cancelled"),
        "under_review": ("approved", "rejected", "draft"),
        "approved": ("implemented", "cancelled"),
        "implemented": ("closed",),
        "closed": (), "rejected": (), "cancelled": (),
    },
}
INITIAL = {"deviation": "open", "investigation": "open", "capa": "open", "change_control": "draft"}
TERMINAL = frozenset({"closed", "cancelled", "rejected", "completed"})


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InvalidInput("[AUD-REASON] a reason is required for every status change and link (audit trail)")
    return reason.strip()


def check_transition(kind: str, record: Mapping[str, Any], to: str, completed_investigations: int = 0) -> None:
    """Raise InvalidTransition naming the rule when `record` may not move to `to`."""
    label, rid, current = LABELS[kind], record["id"], record["status"]
    states = TRANSITIONS[kind]
    if to not in states:
        raise InvalidInput(f"[STATUS-UNKNOWN] {to!r} is not a {label} status; statuses: {', '.join(states)}")
    allowed = states[current]
    if to not in allowed:
        raise InvalidTransition(
            f"[{_prefix(kind)}-TRANSITION] {label} {rid} cannot move from {current} to {to}; allowed from "
            f"{current}: {', '.join(allowed) or 'none (final status)'}")
    rule = _guard(kind, record, to, completed_investigations)
    if rule:
        raise InvalidTransition(f"{rule[0]} {label} {rid} cannot move to {to}: {rule[1]}")


def _guard(kind: str, record: Mapping[str, Any], to: str, completed_investigations: int) -> tuple[str, str] | None:
    if kind == "deviation" and to in ("pending_capa", "closed") and completed_investigations == 0:
        return "[DEV-INV-REQUIRED]", "it has no completed investigation with a recorded root cause"
    if kind == "deviation" and to == "closed":
        if record["status"] == "under_investigation" and record["classification"] == "critical":
            return "[DEV-CRITICAL-CAPA]", "a critical deviation needs a CAPA; move it to pending_capa first"
        if record["status"] == "pending_capa" and not record["capa_ids"]:
            return "[DEV-CAPA-REQUIRED]", "it is pending CAPA but no CAPA is linked"
    if kind == "investigation" and to == "completed" and not record.get("root_cause"):
        return "[INV-ROOT-CAUSE]", "the root cause must be recorded before completion"
    if kind == "capa" and to == "closed" and record.get("effectiveness_result") != "effective":
        return "[CAPA-EFFECTIVENESS]", "the effectiveness check must be recorded as effective before closure"
    if kind == "capa" and to == "in_progress" and not (record["deviation_ids"] or record["change_control_ids"]):
        return "[CAPA-LINK-REQUIRED]", "a CAPA must address at least one deviation or change control"
    if kind == "change_control" and to == "approved" and not record.get("impact_assessment"):
        return "[CC-IMPACT]", "the impact assessment must be recorded before approval"
    return None


def check_open_for_links(kind: str, record: Mapping[str, Any]) -> None:
    if record["status"] in TERMINAL:
        raise InvalidTransition(f"[{_prefix(kind)}-LOCKED] {LABELS[kind]} {record['id']} is {record['status']}; "
                                "a record in a final status can no longer be changed or linked")


def _prefix(kind: str) -> str:
    return {"deviation": "DEV", "investigation": "INV", "capa": "CAPA", "change_control": "CC"}[kind]
