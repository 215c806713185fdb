"""The QMS lifecycle rules, without SOAP: what a QA person may and may not do to each record kind."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.qms.workflow import (
    TRANSITIONS,
    InvalidInput,
    InvalidTransition,
    check_open_for_links,
    check_transition,
    require_reason,
)

pytestmark = pytest.mark.unit


def deviation(status: str, classification: str = "major", capa_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": "DEV-2026-0001", "status": status, "classification": classification, "capa_ids": list(capa_ids)}


def test_skipping_steps_names_the_transition_rule_and_the_allowed_statuses() -> None:
    with pytest.raises(InvalidTransition, match=r"\[DEV-TRANSITION\].*open to closed.*under_investigation, cancelled"):
        check_transition("deviation", deviation("open"), "closed")


def test_closing_without_a_completed_investigation_is_refused() -> None:
    with pytest.raises(InvalidTransition, match=r"\[DEV-INV-REQUIRED\] Deviation DEV-2026-0001 cannot move to closed"):
        check_transition("deviation", deviation("under_investigation"), "closed", completed_investigations=0)
    check_transition("deviation", deviation("under_investigation"), "closed", completed_investigations=1)


def test_critical_deviations_need_a_capa_before_closure() -> None:
    with pytest.raises(InvalidTransition, match=r"\[DEV-CRITICAL-CAPA\]"):
        check_transition("deviation", deviation("under_investigation", "critical"), "closed", 1)
    with pytest.raises(InvalidTransition, match=r"\[DEV-CAPA-REQUIRED\]"):
        check_transition("deviation", deviation("pending_capa", "critical"), "closed", 1)
    check_transition("deviation", deviation("pending_capa", "critical", ("CAPA-2026-0001",)), "closed", 1)


@pytest.mark.parametrize(("kind", "record", "to", "rule"), [
    ("investigation", {"id": "INV-1", "status": "in_progress", "root_cause": None}, "completed", "INV-ROOT-CAUSE"),
    ("capa", {"id": "CAPA-1", "status": "effectiveness_check", "effectiveness_result": "not_effective",
              "deviation_ids": ["D"], "change_control_ids": []}, "closed", "CAPA-EFFECTIVENESS"),
    ("capa", {"id": "CAPA-1", "status": "open", "deviation_ids": [], "change_control_ids": []}, "in_progress",
     "CAPA-LINK-REQUIRED"),
    ("change_control", {"id": "CC-1", "status": "under_review", "impact_assessment": None}, "approved", "CC-IMPACT"),
])
def test_each_kind_guards_its_key_step(kind: str, record: dict[str, Any], to: str, rule: str) -> None:
    with pytest.raises(InvalidTransition, match=rf"\[{rule}\]"):
        check_transition(kind, record, to)


def test_final_statuses_have_no_way_out_and_take_no_links() -> None:
    for kind, states in TRANSITIONS.items():
        for final in ("closed", "cancelled"):
            if final in states:
                assert states[final] == ()
                with pytest.raises(InvalidTransition, match="final status"):
                    check_open_for_links(kind, {"id": "X-1", "status": final})


def test_unknown_status_and_missing_reason_are_input_errors() -> None:
    with pytest.raises(InvalidInput, match=r"\[STATUS-UNKNOWN\] 'done'"):
        check_transition("deviation", deviation("open"), "done")
    with pytest.raises(InvalidInput, match=r"\[AUD-REASON\]"):
        require_reason("   ")
    assert require_reason(" QA review ") == "QA review"
