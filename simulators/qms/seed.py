"""Closed historical records of the reference plant, migrated into the QMS at go-live.

A QMS in production is never empty: the site had a pH excursion on bioreactor BR-101 in 2025 that
led to a CAPA and a change control, and a minor freezer alarm closed without CAPA. Ids, users,
equipment and lots come from the reference plant so that they agree with MES, LIMS and ERP.
"""

from __future__ import annotations

from typing import Any

from simulators.reference import EQUIPMENT, USERS, lot_for_batch

_EQUIPMENT = {e["id"] for e in EQUIPMENT}
_USERS = {u["id"] for u in USERS}


def _common(rid: str, status: str, opened_by: str, owner: str, opened_at: str, closed_at: str,
            due_date: str) -> dict[str, Any]:
    assert opened_by in _USERS and owner in _USERS, "seed users must exist in the reference plant"
    return {"id": rid, "status": status, "opened_by": opened_by, "owner": owner, "opened_at": opened_at,
            "closed_at": closed_at, "due_date": due_date, "modified_by": owner, "modified_at": closed_at}


def _deviation(batch: str, equipment: str, **values: Any) -> dict[str, Any]:
    assert equipment in _EQUIPMENT, "seed equipment must exist in the reference plant"
    return {"batch_id": batch, "lot_id": lot_for_batch(batch), "equipment_id": equipment, "material_id": None,
            "triggering_event_id": None, "change_control_ids": [], **values}


def initial_state() -> dict[str, Any]:
    ph_dev = _deviation(
        "CART-2025-0118", "BR-101",
        title="pH below 7.0 during expansion on BR-101",
        description="BR-101/AIC-102 read pH 6.92 for 75 min on day 5 of expansion; alarm acknowledged late.",
        classification="major", time_window_start="2025-09-14T02:40:00+00:00",
        time_window_end="2025-09-14T03:55:00+00:00", investigation_ids=["INV-2025-0031"],
        capa_ids=["CAPA-2025-0012"],
        **_common("DEV-2025-0031", "closed", "jdoe", "qa.mlee", "2025-09-14T08:12:00+00:00",
                  "2025-10-20T15:30:00+00:00", "2025-10-14"))
    freezer_dev = _deviation(
        "CART-2025-0109", "CRF-101",
        title="CRF-101 door alarm during controlled-rate freeze",
        description="Door-open alarm for 20 s at -40 Cel; freeze profile stayed within limits.",
        classification="minor", time_window_start="2025-08-02T11:05:00+00:00",
        time_window_end="2025-08-02T11:06:00+00:00", investigation_ids=["INV-2025-0027"], capa_ids=[],
        **_common("DEV-2025-0027", "closed", "asmith", "qa.mlee", "2025-08-02T11:20:00+00:00",
                  "2025-08-19T10:00:00+00:00", "2025-09-01"))
    investigations = [
        {"deviation_id": "DEV-2025-0027", "title": "CRF-101 door alarm", "result_ids": [],
         "root_cause": "Operator opened the door to check the bag label; SOP step order unclear.",
         "root_cause_category": "human_error",
         **_common("INV-2025-0027", "completed", "qa.mlee", "sup.kchen", "2025-08-03T09:00:00+00:00",
                   "2025-08-12T12:00:00+00:00", "2025-08-24")},
        {"deviation_id": "DEV-2025-0031", "title": "Root cause of BR-101 pH excursion", "result_ids": [],
         "root_cause": "pH probe AIC-102 drifted +0.15 after 9 days in service; CO2 control over-corrected.",
         "root_cause_category": "equipment",
         **_common("INV-2025-0031", "completed", "qa.mlee", "sup.kchen", "2025-09-15T09:00:00+00:00",
                   "2025-10-03T16:00:00+00:00", "2025-10-06")},
    ]
    capa = {"title": "Recalibrate BR-101 pH probe before each expansion", "capa_type": "corrective",
            "description": "Two-point pH calibration before inoculation; calibration interval 14 -> 7 days.",
            "deviation_ids": ["DEV-2025-0031"], "change_control_ids": ["CC-2025-0020"],
            "effectiveness_check_due": "2026-01-31", "effectiveness_result": "effective",
            "effectiveness_comment": "No pH excursion in the 12 batches after implementation.",
            **_common("CAPA-2025-0012", "closed", "qa.mlee", "sup.kchen", "2025-10-06T10:00:00+00:00",
                      "2026-02-10T09:00:00+00:00", "2026-01-04")}
    change = {"title": "BR-101 pH probe calibration interval 14 -> 7 days", "change_type": "equipment",
              "description": "Update SOP-EQ-0107 and the calibration schedule of BR-101/AIC-102.",
              "impact_assessment": "No impact on validated state; calibration only. SOP-EQ-0107 rev 5.",
              "affected_items": ["BR-101", "SOP-EQ-0107"], "capa_ids": ["CAPA-2025-0012"], "deviation_ids": [],
              **_common("CC-2025-0020", "closed", "sup.kchen", "sup.kchen", "2025-10-08T09:00:00+00:00",
                        "2025-11-05T17:00:00+00:00", "2025-12-07")}
    return {
        "deviation": {d["id"]: d for d in (freezer_dev, ph_dev)},
        "investigation": {i["id"]: i for i in investigations},
        "capa": {capa["id"]: capa},
        "change_control": {change["id"]: change},
        "changes": [],
        "_counters": {"DEV-2025": 31, "INV-2025": 31, "CAPA-2025": 12, "CC-2025": 20, "change": 0},
    }
