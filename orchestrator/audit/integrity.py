"""ALCOA+ checks on audit records, shared by `audit review` (per batch, after the fact) and the live
monitor (every record as it is appended, raising DataIntegrityIssueDetected for the reviewer).

Each check names the principle at stake: a change without a reason or a person's change attributed
to no person (attributable), a source clock ahead of gxplink's or far off (contemporaneous), a feed
whose timestamps run backwards (consistent), an entry made long after the fact (contemporaneous).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from orchestrator.audit.canonical import parse_utc

EXECUTION_TYPES = {"batch_phase", "process_value", "alarm", "workflow", "command"}  # running, not editing
LIFECYCLE_TYPES = {"batch", "step", "production_order", "test_order"}  # their state moves as they are run
LIFECYCLE_FIELDS = {"state", "status"}
QUALITY_TYPES = {"deviation", "capa", "investigation", "change_control"}  # every status change is a decision
MODIFYING = ("update", "correct", "modify", "edit", "delete", "purge", "set_")
CORRECTING = ("correct", "delete", "purge")
OWN_TYPES = ("data_integrity_issue_detected",)  # findings about findings would never end
PRINCIPLE = {"change_without_reason": "attributable", "missing_attribution": "attributable",
             "clock_skew": "contemporaneous", "late_entry": "contemporaneous",
             "time_out_of_sequence": "consistent"}


@dataclass(frozen=True)
class Limits:
    tolerance: float = 5.0  # seconds of clock difference tolerated
    late_after: float = 3600.0  # seconds between the action and its record that make it a late entry


@dataclass(frozen=True)
class Issue:
    check: str
    detail: str

    @property
    def principle(self) -> str:
        return PRINCIPLE[self.check]


def secs(later: str, earlier: str) -> float:
    """Seconds by which `later` is after `earlier` (negative when it is not)."""
    return (parse_utc(later) - parse_utc(earlier)).total_seconds()


def editing(rec: dict[str, Any]) -> bool:
    """A record that changes data (not one that runs a process, and not a dead letter)."""
    return rec["recordtype"].lower() not in EXECUTION_TYPES and rec["kind"] != "dead_letter"


def modifies(rec: dict[str, Any]) -> bool:
    """A change a reason is owed for. The system's own audit entries and gxplink's actions are where
    reasons are kept; a change-feed event only says what changed (its reason is in the system's audit
    entry), so of events only corrections count. Running a batch moves its state: not a data change."""
    action, rtype = rec["action"].lower(), rec["recordtype"].lower()
    if rec["kind"] == "event":
        return any(m in action for m in CORRECTING)
    changed = {c["field"] for c in rec["changes"] if c.get("old") is not None}
    if rtype in LIFECYCLE_TYPES and rtype not in QUALITY_TYPES:
        changed -= LIFECYCLE_FIELDS
        return bool(changed) or any(m in action for m in (*CORRECTING, "edit", "modify"))
    return bool(changed) or any(m in action for m in MODIFYING)


def record_issues(rec: dict[str, Any], limits: Limits) -> Iterator[Issue]:
    """What one record shows on its own (no other record needed)."""
    if any(t in (rec.get("type") or "") for t in OWN_TYPES):
        return
    if editing(rec) and modifies(rec):
        if not rec["reason"]:
            fields = ", ".join(c["field"] for c in rec["changes"] if c.get("old") is not None)
            yield Issue("change_without_reason", f"{rec['action']} of {fields or '(fields not reported)'} "
                                                 "without a reason")
        if not rec["user"] and not rec["sourceuser"]:
            yield Issue("missing_attribution", f"{rec['action']} of {rec['recordtype']} {rec['recordid']} names "
                                               f"no person, only {rec['service'] or rec['actor'] or 'nobody'}")
    ahead = secs(rec["time"], rec["receivedtime"])
    if ahead > limits.tolerance:
        yield Issue("clock_skew", f"{rec['sourcesystem']} stamped it {ahead:.1f}s after gxplink received it")
    offset = rec.get("clockoffsetseconds")
    if offset is not None and abs(offset) > limits.tolerance:
        yield Issue("clock_skew", f"{rec['sourcesystem']} clock offset {offset:+.1f}s")
    late = secs(rec["receivedtime"], rec["time"])
    if rec["kind"] != "dead_letter" and late > limits.late_after:
        yield Issue("late_entry", f"recorded {late / 3600:.1f} h after it happened in {rec['sourcesystem']}")


class SequenceCheck:
    """Within one feed (a system's events, or its native audit entries, which are polled later), a
    record received later but stamped earlier than its predecessor."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.last: dict[tuple[str, str], dict[str, Any]] = {}

    def see(self, rec: dict[str, Any]) -> Issue | None:
        if rec["kind"] in ("dead_letter", "action") or any(t in (rec.get("type") or "") for t in OWN_TYPES):
            return None
        feed = (rec["sourcesystem"], rec["kind"])
        before = self.last.get(feed)
        if before is None or rec["time"] > before["time"]:
            self.last[feed] = rec
        if before is not None and secs(before["time"], rec["time"]) > self.limits.tolerance:
            return Issue("time_out_of_sequence", f"stamped {secs(before['time'], rec['time']):.1f}s before the "
                                                 f"earlier-received record {before['id']}")
        return None
