"""Every registered message type has an explicit audit meaning; none falls through to a generic default."""

from __future__ import annotations

import pytest

from canonical_model.registry import message_types
from orchestrator.audit.mapping import RULES, Unmapped, rule_for
from tests.unit.audit.envelopes import EXAMPLE_BATCH, FAMILIES, draft

pytestmark = pytest.mark.unit

TYPES = [cls.ce_type() for cls in message_types()]


@pytest.mark.parametrize("ce_type", TYPES)
def test_every_registered_type_has_an_explicit_rule(ce_type: str) -> None:
    rule = rule_for(ce_type)
    assert not isinstance(rule, Unmapped), f"add {ce_type} to orchestrator/audit/mapping.py RULES"
    assert rule.action and rule.record_type and rule.record_id


def test_the_table_has_no_stale_entries() -> None:
    families = {t.rsplit(".v", 1)[0] for t in TYPES}
    assert set(RULES) == families


@pytest.mark.parametrize("family", FAMILIES)
def test_each_example_yields_a_meaningful_action_record_type_and_id(family: str) -> None:
    made = draft(family, EXAMPLE_BATCH)
    assert made.action not in ("", "message_recorded", "native")
    assert made.record_type not in ("", "message", "native")
    uses_own_id = RULES[family].record_id == "$id"
    assert (made.record_ref == made.record_id) is uses_own_id, (family, made.record_ref)
    assert made.entities, family
    assert made.source_system in ("mes", "lims", "qms", "erp", "deltav", "gxplink")


@pytest.mark.parametrize(("family", "action", "record_type", "record_id"), [
    ("io.gxplink.evt.erp.lot_released", "released", "lot", "LOT-CART-2026-0001"),
    ("io.gxplink.cmd.erp.release_lot", "release_lot", "lot", "LOT-CART-2026-0001"),
    ("io.gxplink.evt.mes.batch_state_changed", "state_changed", "batch", "CART-2026-0001"),
    ("io.gxplink.evt.deltav.batch_phase_changed", "phase_changed", "batch_phase", "CART-2026-0001/BR-101/EXPAND"),
    ("io.gxplink.evt.gxplink.signature_recorded", "signed", "signature", "SIG-2026-000381"),
    ("io.gxplink.evt.gxplink.audit_recorded", "update", "material_lot", "LOT-CART-2026-0001"),
])
def test_known_meanings(family: str, action: str, record_type: str, record_id: str) -> None:
    made = draft(family, EXAMPLE_BATCH)
    assert (made.action, made.record_type, made.record_ref) == (action, record_type, record_id)


def test_an_unknown_type_is_flagged_not_guessed() -> None:
    assert isinstance(rule_for("io.gxplink.evt.mes.something_new.v1"), Unmapped)
