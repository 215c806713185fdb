"""Who, when, what, why, where and correlation, derived from canonical payloads."""

from __future__ import annotations

import pytest

from orchestrator.audit.derive import parse_actor, trace_id
from orchestrator.audit.draft import Change
from tests.unit.audit.envelopes import draft

pytestmark = pytest.mark.unit


def test_actor_gives_user_and_service() -> None:
    assert parse_actor("user:mhuber;service:gxplink-orchestrator") == ("mhuber", "gxplink-orchestrator")
    assert parse_actor("service:adapter-erp") == (None, "adapter-erp")
    assert parse_actor(None) == (None, None)


def test_trace_id_comes_from_traceparent() -> None:
    assert trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id(None) is None


@pytest.mark.requirement("P11-002", "P11-003")
def test_a_status_change_records_old_and_new_with_its_reason_and_who() -> None:
    made = draft("io.gxplink.evt.qms.deviation_status_changed", "B-1")
    assert made.changes == [Change("status", "open", "under_investigation")]
    assert made.reason == "Investigation INV-2026-0031 assigned"
    assert made.source_user and made.source_system == "qms"


def test_a_created_record_shows_its_main_fields_as_new_values() -> None:
    made = draft("io.gxplink.evt.erp.lot_created", "B-1")
    fields = {c.field: c for c in made.changes}
    assert fields["lot_id"].new == "LOT-B-1" and fields["lot_id"].old is None
    assert fields["status"].new == "quarantine"


def test_correlation_finds_batch_lot_sample_and_nested_records() -> None:
    made = draft("io.gxplink.cmd.mes.record_qc_summary", "B-1", correlationid="WF-9")
    kinds = {tuple(e) for e in made.entities}
    assert ("batch", "B-1") in kinds and ("lot", "LOT-B-1") in kinds
    assert any(k == "sample" for k, _ in kinds) and any(k == "result" for k, _ in kinds)
    assert ("correlation", "WF-9") in kinds and ("command", made.record_id) in kinds
    assert made.kind == "command" and made.target_system == "mes"


@pytest.mark.requirement("P11-002")
def test_a_native_audit_entry_keeps_the_source_systems_who_what_why() -> None:
    made = draft("io.gxplink.evt.gxplink.audit_recorded", "B-1")
    assert made.kind == "native" and made.source_system == "erp"
    assert (made.user_id, made.source_user, made.clock_offset) == ("mhuber", "MHUBER", -0.35)
    assert made.changes == [Change("status", "quarantine", "released")] and made.reason == "QA release"
    assert made.mapping_version == "erp/lot__material_lot@1.2.0"
    assert made.source_time == "2026-03-08T14:01:00.000000Z"


@pytest.mark.requirement("P11-001")
def test_where_and_when_come_from_the_envelope() -> None:
    made = draft("io.gxplink.evt.erp.lot_released", "B-1", mapping="erp/lot@2")
    assert made.adapter == "/gxplink/adapters/erp" and made.mapping_version == "erp/lot@2"
    assert made.source_time == "2026-03-18T23:59:54.000000Z"
    assert made.received_time == "2026-03-19T00:00:00.000000Z"
    assert made.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and made.correlation_id == "B-1"
