"""The QA user-interface actions: a whole deviation closed the way a QA person would close it."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.qms.actions import qa_actions
from simulators.qms.store import QmsStore

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> QmsStore:
    clock = SimClock()
    return QmsStore(tmp_path, clock, NativeAuditTrail(tmp_path / "audit.jsonl", clock))


async def test_qa_closes_a_critical_deviation_through_investigation_and_capa(store: QmsStore) -> None:
    act = qa_actions(store)
    dev = (await act["open_deviation"]({"title": "Sterility positive", "batch_id": "CART-2026-0003",
                                        "classification": "critical", "user": "qc.rpatel"}))["deviation"]
    dev_id = dev["deviation_id"]
    assert (dev["lot_id"], dev["opened_by"]) == ("L-CART-2026-0003", "qc.rpatel")
    await act["advance_deviation"]({"id": dev_id, "to": "under_investigation", "reason": "triage"})
    inv = (await act["open_investigation"]({"deviation_id": dev_id}))["investigation"]
    with pytest.raises(ValueError, match="FIELD-CHOICE"):
        await act["complete_investigation"]({"id": inv["investigation_id"], "root_cause": "x", "category": "aliens",
                                             "reason": "RCA"})
    done = await act["complete_investigation"]({"id": inv["investigation_id"], "root_cause": "Torn bag seal",
                                                "category": "material", "reason": "RCA signed"})
    assert done["investigation"]["status"] == "completed"
    with pytest.raises(ValueError, match="DEV-CRITICAL-CAPA"):
        await act["advance_deviation"]({"id": dev_id, "to": "closed", "reason": "done"})
    await act["advance_deviation"]({"id": dev_id, "to": "pending_capa", "reason": "CAPA needed"})
    capa = (await act["open_capa"]({"title": "Seal check at fill", "deviation_ids": dev_id}))["capa"]
    assert capa["deviation_ids"] == [dev_id] and capa["capa_type"] == "corrective"
    closed = await act["advance_deviation"]({"id": dev_id, "to": "closed", "reason": "CAPA in place"})
    assert closed["deviation"]["status"] == "closed"
    for step in ("in_progress", "effectiveness_check"):
        await act["advance_capa"]({"id": capa["capa_id"], "to": step, "reason": step})
    with pytest.raises(ValueError, match="CAPA-EFFECTIVENESS"):
        await act["advance_capa"]({"id": capa["capa_id"], "to": "closed", "reason": "done"})
    final = await act["advance_capa"]({"id": capa["capa_id"], "to": "closed", "reason": "checked",
                                       "effectiveness_result": "effective"})
    assert final["capa"]["status"] == "closed"
    summary = await act["records"]({})
    assert summary["deviations"]["by_status"] == {"closed": 3} and summary["capas"]["count"] == 2
    assert summary["cursor"] == store.cursor


async def test_only_plant_users_can_act(store: QmsStore) -> None:
    with pytest.raises(ValueError, match="no QMS account"):
        await qa_actions(store)["open_deviation"]({"title": "x", "user": "mallory"})
