"""The QA person of the reference scenario, working in the QMS through its own user interface (the
simulator's actions): every deviation on the batch is investigated, gets a CAPA and is closed."""

from __future__ import annotations

from typing import Any

from gxplink.scenario.marks import Marks

QA_USER = "qa.mlee"


async def work_deviation(qms: dict[str, Any], deviation_id: str, status: str, marks: Marks) -> str | None:
    """Take one step on a deviation; the step done, or None when it is closed."""
    key = f"qa:{deviation_id}"
    if status == "open":
        await qms["advance_deviation"]({"id": deviation_id, "to": "under_investigation", "user": QA_USER,
                                        "reason": "investigation started"})
        return "investigation started"
    if status == "under_investigation" and not marks.done(f"{key}:investigated"):
        investigation = await qms["open_investigation"]({"deviation_id": deviation_id, "user": QA_USER})
        await qms["complete_investigation"]({
            "id": investigation["investigation"]["investigation_id"], "user": QA_USER, "reason": "root cause found",
            "root_cause": "transient control deviation; product impact assessed as none", "category": "equipment"})
        capa = await qms["open_capa"]({"title": f"Prevent recurrence of {deviation_id}", "user": QA_USER,
                                       "deviation_ids": [deviation_id]})
        marks.mark(f"{key}:investigated")
        return f"investigated, {capa['capa']['capa_id']} opened"
    if status == "under_investigation":
        await qms["advance_deviation"]({"id": deviation_id, "to": "pending_capa", "user": QA_USER,
                                        "reason": "investigation complete, CAPA in place"})
        return "pending CAPA"
    if status == "pending_capa":
        await qms["advance_deviation"]({"id": deviation_id, "to": "closed", "user": QA_USER,
                                        "reason": "CAPA linked, no impact on product quality"})
        return "closed"
    return None
