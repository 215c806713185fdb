"""The correlation graph stays within the batch; review lists the exceptions a reviewer must see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit import query
from orchestrator.audit.derive import from_envelope
from orchestrator.audit.review import review
from orchestrator.audit.store import AuditStore
from tests.unit.audit.envelopes import draft, envelope

pytestmark = pytest.mark.unit


async def _fill(store: AuditStore) -> None:
    for batch in ("B-G1", "B-G2"):  # both consume the same vector lot LOT-LV-24-0117 of material MAT-LV-CD19
        await store.append([draft(f"io.gxplink.{f}", batch, correlationid=batch) for f in (
            "evt.mes.batch_created", "evt.mes.material_consumed", "evt.mes.sample_pulled",
            "evt.lims.test_result_recorded", "evt.lims.test_result_corrected", "evt.qms.deviation_opened",
            "evt.erp.lot_created", "evt.erp.lot_released", "evt.gxplink.signature_recorded",
            "evt.deltav.setpoint_changed", "cmd.erp.release_lot")])


@pytest.mark.requirement("URS-005")
async def test_trail_from_any_linked_id_is_the_batch_trail(store: AuditStore, engine: AsyncEngine) -> None:
    await _fill(store)
    by_batch = await query.trail(engine, "B-G1")
    assert len(by_batch) == 11 and all(r["correlationid"] == "B-G1" for r in by_batch)
    assert [r["time"] for r in by_batch] == sorted(r["time"] for r in by_batch)
    for other in ("LOT-B-G1", "S-B-G1-07", "DEV-2026-0042"):
        linked = {r["id"] for r in await query.trail(engine, other)}
        assert {r["id"] for r in by_batch} <= linked, other


async def test_shared_lots_and_materials_do_not_merge_batches(store: AuditStore, engine: AsyncEngine) -> None:
    await _fill(store)
    graph = await query.graph_of(engine, "B-G1")
    nodes = graph.nodes
    assert nodes["LOT-B-G1"].followed and nodes["S-B-G1-07"].followed
    assert not nodes["MAT-LV-CD19"].followed  # a material is a hub
    assert not nodes["LOT-LV-24-0117"].followed  # consumed by both batches
    assert "B-G2" not in graph.followed


async def test_filters(store: AuditStore, engine: AsyncEngine) -> None:
    await _fill(store)
    assert {r["sourcesystem"] for r in await query.trail(engine, "B-G1", query.Filters(system="lims"))} == {"lims"}
    assert [r["action"] for r in await query.trail(engine, "B-G1", query.Filters(action="releas"))] \
        == ["released", "release_lot"]
    assert await query.trail(engine, "no-such-id") == []


@pytest.mark.requirement("P11-003", "P11-012")
async def test_review_lists_exceptions(store: AuditStore, engine: AsyncEngine) -> None:
    await _fill(store)
    await store.append([draft("io.gxplink.evt.qms.capa_status_changed", "B-G1", correlationid="B-G1")])
    unexplained = envelope("io.gxplink.evt.gxplink.audit_recorded", "B-G1", correlationid="B-G1")
    record = unexplained.data.record.model_copy(update={"reason": None, "target_type": "capa"})  # type: ignore[attr-defined]
    await store.append([from_envelope(unexplained.model_copy(update={"data": unexplained.data.model_copy(
        update={"record": record})}), subject=None, received=datetime.now(UTC))])
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in await review(engine, "B-G1"):
        found.setdefault(finding["category"], []).append(finding)
    assert [f["recordid"] for f in found["corrected_result"]] == ["R-2026-118205"]
    assert {f["recordtype"] for f in found["signature"]} == {"signature"}
    assert {f["recordtype"] for f in found["deviation"]} == {"deviation", "capa"}
    assert [f["recordtype"] for f in found["change_without_reason"]] == ["capa"]  # its own audit entry, not the feed
