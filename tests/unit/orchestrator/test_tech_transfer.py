"""The tech_transfer workflow, effect by effect: nothing is provisioned before the CDMO's QA approves,
a rejection provisions nothing, and an approval provisions the MES, LIMS and ERP in this site's codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from canonical_model.commands.erp import ProvisionMaterials
from canonical_model.commands.lims import ProvisionSpecifications
from canonical_model.commands.mes import ProvisionMasterRecipe
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.effects import Decide, HumanTask, SendCommand
from orchestrator.transfer.library import compose_process, load_site_map
from orchestrator.transfer.site_map import apply_site_map, equipment_binding
from orchestrator.workflows.tech_transfer import tech_transfer

pytestmark = pytest.mark.unit


def start() -> Any:
    site_map = load_site_map("cdmo-example")
    mapped = apply_site_map(compose_process(), site_map)
    ctx = WorkflowContext("wf-t", "tech_transfer", 1, "TT-1", {
        "transfer_id": "TT-1", "content_hash": "ab" * 32, "sponsor_site": "SPONSOR", "diff": "first version",
        "definition": mapped.model_dump(mode="json"), "equipment_binding": equipment_binding(mapped, site_map)},
        datetime(2026, 3, 1, tzinfo=UTC))
    return tech_transfer(ctx)


@pytest.mark.requirement("URS-009", "P11-009")
def test_an_approved_import_provisions_the_three_systems_in_site_codes() -> None:
    flow = start()
    task = next(flow)
    assert isinstance(task, HumanTask) and task.record_type == "transfer" and task.record_id == "TT-1"
    assert isinstance(flow.send({"meaning": "approved", "signer_name": "Casey"}), Decide)
    commands = []
    effect = flow.send(None)
    try:
        while True:
            assert isinstance(effect, SendCommand)
            commands.append(effect.command)
            effect = flow.send({"ok": True})
    except StopIteration as done:
        assert done.value == "provisioned"
    mes, lims, erp = commands
    assert isinstance(mes, ProvisionMasterRecipe) and mes.equipment_binding["bioreactor"] == "BR-101"
    assert isinstance(lims, ProvisionSpecifications) and lims.specifications
    assert isinstance(erp, ProvisionMaterials) and erp.bom is not None and erp.bom.product == "MAT-CART"
    assert {mes.transfer_id, lims.transfer_id, erp.transfer_id} == {"TT-1"}, "each names the transfer (audit trail)"
    assert all(line.material_id.startswith("MAT-") for line in erp.bom.lines), "the CDMO's own material codes"


@pytest.mark.requirement("URS-009")
def test_a_rejected_import_provisions_nothing() -> None:
    flow = start()
    next(flow)
    decided = flow.send({"meaning": "rejected", "signer_name": "Casey"})
    assert isinstance(decided, Decide) and decided.decision == "reject"
    with pytest.raises(StopIteration) as done:
        flow.send(None)
    assert done.value.value == "rejected"
