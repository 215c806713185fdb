"""Review by exception: what a reviewer must look at before a batch is released.

Instead of reading hundreds of records, the reviewer gets the exceptions: changes without a
reason or without a person, corrected or out-of-specification results, timestamps out of sequence,
skewed between systems or entered late (the ALCOA+ checks of `integrity`), every signature, every
deviation/CAPA record, failures, and dead-lettered messages that touch the batch (found in the trail
or, for messages that never parsed, by the batch id in the text).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit.integrity import Limits, SequenceCheck, record_issues, secs
from orchestrator.audit.query import present, trail
from orchestrator.audit.schema import has_schema, records

CATEGORIES = ("change_without_reason", "missing_attribution", "corrected_result", "out_of_specification",
              "time_out_of_sequence", "clock_skew", "late_entry", "signature", "deviation", "failure", "dead_letter")
QUALITY_TYPES = {"deviation", "capa", "investigation", "change_control"}


async def review(engine: AsyncEngine, batch: str, tolerance: float = 5.0) -> list[dict[str, Any]]:
    """Findings sorted by category then time; each names the record and says why it is listed."""
    recs = await trail(engine, batch)
    limits = Limits(tolerance=tolerance)
    findings = [f for rec in recs for f in _per_record(rec)]
    findings += [_finding(rec, issue.check, issue.detail) for rec in recs for issue in record_issues(rec, limits)]
    findings += list(_sequence(recs, limits))
    findings += list(_causes(recs, tolerance))
    letters = await _dead_letters(engine, batch, recs)
    findings += [_finding(rec, "dead_letter", rec.get("reason") or "") for rec in letters]
    order = {name: i for i, name in enumerate(CATEGORIES)}
    return sorted(findings, key=lambda f: (order[f["category"]], f["time"], f["id"]))


def _finding(rec: dict[str, Any], category: str, detail: str) -> dict[str, Any]:
    return {"category": category, "time": rec["time"], "id": rec["id"], "sourcesystem": rec["sourcesystem"],
            "actor": rec["actor"], "action": rec["action"], "recordtype": rec["recordtype"],
            "recordid": rec["recordid"], "detail": detail}


def _new(rec: dict[str, Any], name: str) -> Any:
    return next((c.get("new") for c in rec["changes"] if c.get("field") == name), None)


def _per_record(rec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    action, rtype = rec["action"].lower(), rec["recordtype"].lower()
    if "result" in rtype and "correct" in action:
        yield _finding(rec, "corrected_result", f"corrected: {rec.get('reason') or 'no reason given'}")
    if "result" in rtype and _new(rec, "out_of_specification") is True:
        yield _finding(rec, "out_of_specification", f"{_new(rec, 'analyte')} = {_new(rec, 'value')} "
                                                    f"{_new(rec, 'unit') or ''} out of specification".strip())
    if "signature" in rtype or "sign" in action:
        yield _finding(rec, "signature", f"{_new(rec, 'signer_name') or rec['user']}: {_new(rec, 'meaning')} "
                                         f"at {_new(rec, 'signed_at') or rec['time']}")
    if rtype in QUALITY_TYPES:
        status = _new(rec, "status")
        yield _finding(rec, "deviation", f"{rtype} {rec['recordid']} {action}" + (f" -> {status}" if status else ""))
    if "fail" in action or "reject" in action or "abort" in action:
        yield _finding(rec, "failure", rec.get("reason") or action)


def _sequence(recs: list[dict[str, Any]], limits: Limits) -> Iterator[dict[str, Any]]:
    check = SequenceCheck(limits)
    for rec in sorted(recs, key=lambda r: (r["receivedtime"], r["seq"])):
        issue = check.see(rec)
        if issue is not None:
            yield _finding(rec, issue.check, issue.detail)


def _causes(recs: list[dict[str, Any]], tolerance: float) -> Iterator[dict[str, Any]]:
    """Effects stamped before their causes (the clocks of the two systems disagree)."""
    by_id = {rec["id"]: rec for rec in recs}
    for rec in recs:
        cause = by_id.get(rec.get("causationid") or "")
        if cause is not None and secs(rec["time"], cause["time"]) > tolerance:
            yield _finding(rec, "clock_skew", f"stamped {secs(rec['time'], cause['time']):.1f}s before its cause "
                                              f"{cause['id']} ({cause['sourcesystem']})")


async def _dead_letters(engine: AsyncEngine, batch: str, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dead letters in the trail, and those whose raw text mentions the batch (they never parsed)."""
    found = {rec["id"]: rec for rec in recs if rec["kind"] == "dead_letter"}
    async with engine.connect() as conn:
        if await has_schema(conn):
            query = select(records).where(records.c.kind == "dead_letter",
                                          records.c.content.contains(batch, autoescape=True))
            for row in (await conn.execute(query)).mappings():
                found.setdefault(row["record_id"], present(dict(row)))
    return list(found.values())
