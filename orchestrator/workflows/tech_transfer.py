"""Tech transfer at the CDMO: a package the transfer desk verified and mapped -> QA approves the import
with an electronic signature (seeing the diff against the version before) -> the MES master batch
record, the LIMS specifications and test methods, and the ERP materials and BOM are provisioned
through the adapters. A rejection provisions nothing. Every command carries the transfer id, so the
audit trail of the transfer shows each system's part."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from canonical_model.commands.erp import ProvisionMaterials
from canonical_model.commands.lims import ProvisionSpecifications
from canonical_model.commands.mes import ProvisionMasterRecipe
from canonical_model.process_definition import Bom, ProcessDefinition
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.definitions import WorkflowDefinition
from orchestrator.engine.effects import Decide, Effect, HumanTask, SendCommand


def tech_transfer(ctx: WorkflowContext) -> Generator[Effect, Any, str]:
    tid = str(ctx.input["transfer_id"])
    definition = ProcessDefinition.model_validate(ctx.input["definition"])
    recipe = definition.master_recipe
    signature = yield HumanTask(
        "CDMO QA approval", f"Approve the import of {definition.definition_id} v{definition.version} "
        f"({recipe.recipe_id}) from {ctx.input.get('sponsor_site')} (transfer {tid})", "transfer", tid,
        {"transfer_id": tid, "content_hash": ctx.input.get("content_hash"), "definition_id": definition.definition_id,
         "version": definition.version, "diff": ctx.input.get("diff")}, ("approved", "rejected"))
    if signature["meaning"] != "approved":
        yield Decide("import decision", "reject", (f"rejected by {signature['signer_name']}",))
        return "rejected"
    yield Decide("import decision", "provision", (f"approved by {signature['signer_name']}",))
    yield SendCommand("provision MES master batch record", ProvisionMasterRecipe(
        transfer_id=tid, master_recipe=recipe, equipment_binding=ctx.input["equipment_binding"],
        planned_quantity=definition.batch_size, bill_of_materials=definition.bom))
    if definition.specifications:
        yield SendCommand("provision LIMS specifications", ProvisionSpecifications(
            transfer_id=tid, specifications=definition.specifications,
            analytical_methods=definition.analytical_methods))
    product = next((m.material_id for m in definition.materials if m.material_class == "final"), None)
    bom = Bom(bom_id=f"BOM-{product}-{definition.version}", product=product, version=definition.version,
              lines=definition.bom, valid_from=ctx.now) if definition.bom and product else None
    yield SendCommand("provision ERP materials and BOM", ProvisionMaterials(
        transfer_id=tid, materials=definition.materials, bom=bom,
        batch_quantity=definition.batch_size if bom is not None else None))
    return "provisioned"


DEFINITION = WorkflowDefinition("tech_transfer", 1, tech_transfer)
