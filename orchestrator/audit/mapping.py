"""What each canonical message type means to an auditor: action, record type and record id.

The table is written out for every registered message type (a unit test iterates
`canonical_model.registry.message_types()` and fails on any type without a rule), so a new
message can never land in the trail as a meaningless "message received". Paths are dotted paths
into the payload (`data`); a tuple of paths is joined with "/" (e.g. batch/unit/phase);
`$id` is the envelope id (for requests whose record does not exist yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Path = str | tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    action: str
    record_type: str
    record_id: Path
    record: str | None = None  # embedded record whose main fields are the "new" values of a creation
    pairs: tuple[tuple[str, str, str], ...] = ()  # (field, old path, new path) of an attribute change
    sets: tuple[tuple[str, str], ...] = ()  # (field, new value) the event implies, e.g. status released
    lookup_old: bool = False  # fill unknown old values from the record's earlier audit entries
    native: bool = False  # an AuditRecord: action, type and id come from the record itself


def _status(field_name: str = "status", old: str = "previous_status") -> tuple[tuple[str, str, str], ...]:
    return ((field_name, old, field_name),)


_SUCCEEDED = Rule("command_succeeded", "command", "command_id")
_FAILED = Rule("command_failed", "command", "command_id")
_PHASE = ("batch_id", "unit_id", "phase")

RULES: dict[str, Rule] = {
    # MES events
    "io.gxplink.evt.mes.batch_created": Rule("created", "batch", "batch.batch_id", record="batch"),
    "io.gxplink.evt.mes.batch_state_changed": Rule("state_changed", "batch", "batch_id",
                                                   pairs=_status("state", "previous_state")),
    "io.gxplink.evt.mes.master_recipe_approved": Rule("approved", "master_recipe", ("recipe_id", "version")),
    "io.gxplink.evt.mes.batch_step_completed": Rule("step_completed", "batch_step", ("batch_id", "step")),
    "io.gxplink.evt.mes.material_consumed": Rule("consumed", "lot", "lot_id"),
    "io.gxplink.evt.mes.sample_pulled": Rule("pulled", "sample", "sample.sample_id", record="sample"),
    "io.gxplink.evt.mes.step_signed_off": Rule("signed_off", "signature", "signature.signature_id",
                                               record="signature"),
    # LIMS events
    "io.gxplink.evt.lims.sample_received": Rule("received", "sample", "sample.sample_id", record="sample"),
    "io.gxplink.evt.lims.test_order_accepted": Rule("accepted", "test_order", "order.order_id", record="order"),
    "io.gxplink.evt.lims.test_result_recorded": Rule("recorded", "test_result", "result.result_id",
                                                     record="result"),
    "io.gxplink.evt.lims.test_result_corrected": Rule("corrected", "test_result", "result.corrects_result_id",
                                                      record="result", lookup_old=True),
    # QMS events
    "io.gxplink.evt.qms.deviation_opened": Rule("opened", "deviation", "deviation.deviation_id",
                                                record="deviation"),
    "io.gxplink.evt.qms.deviation_status_changed": Rule("status_changed", "deviation", "deviation_id",
                                                        pairs=_status()),
    "io.gxplink.evt.qms.investigation_opened": Rule("opened", "investigation", "investigation.investigation_id",
                                                    record="investigation"),
    "io.gxplink.evt.qms.capa_opened": Rule("opened", "capa", "capa.capa_id", record="capa"),
    "io.gxplink.evt.qms.capa_status_changed": Rule("status_changed", "capa", "capa_id", pairs=_status()),
    "io.gxplink.evt.qms.capa_linked": Rule("linked", "capa", "capa_id"),
    "io.gxplink.evt.qms.change_control_opened": Rule("opened", "change_control",
                                                     "change_control.change_control_id", record="change_control"),
    "io.gxplink.evt.qms.change_control_status_changed": Rule("status_changed", "change_control",
                                                             "change_control_id", pairs=_status()),
    # ERP events
    "io.gxplink.evt.erp.lot_created": Rule("created", "lot", "lot.lot_id", record="lot"),
    "io.gxplink.evt.erp.lot_status_changed": Rule("status_changed", "lot", "lot_id", pairs=_status()),
    "io.gxplink.evt.erp.lot_released": Rule("released", "lot", "disposition.lot_id", record="disposition",
                                            sets=(("status", "released"),), lookup_old=True),
    "io.gxplink.evt.erp.lot_rejected": Rule("rejected", "lot", "disposition.lot_id", record="disposition",
                                            sets=(("status", "rejected"),), lookup_old=True),
    "io.gxplink.evt.erp.inventory_transaction_posted": Rule("posted", "inventory_transaction",
                                                            "transaction.transaction_id", record="transaction"),
    "io.gxplink.evt.erp.bom_published": Rule("published", "bom", "bom.bom_id", record="bom"),
    "io.gxplink.evt.erp.production_order_created": Rule("created", "production_order",
                                                        "order.production_order_id", record="order"),
    # DeltaV events
    "io.gxplink.evt.deltav.process_value_recorded": Rule("recorded", "process_value", "value.tag", record="value"),
    "io.gxplink.evt.deltav.alarm_raised": Rule("raised", "alarm", "alarm.alarm_id", record="alarm"),
    "io.gxplink.evt.deltav.alarm_acknowledged": Rule("acknowledged", "alarm", "alarm.alarm_id", record="alarm",
                                                     lookup_old=True),
    "io.gxplink.evt.deltav.alarm_cleared": Rule("cleared", "alarm", "alarm.alarm_id", record="alarm",
                                                lookup_old=True),
    "io.gxplink.evt.deltav.batch_phase_changed": Rule("phase_changed", "batch_phase",
                                                      tuple(f"phase.{p}" for p in _PHASE),
                                                      pairs=(("state", "phase.previous_state", "phase.state"),)),
    "io.gxplink.evt.deltav.setpoint_changed": Rule("setpoint_changed", "setpoint", "tag",
                                                   pairs=(("set_point", "previous", "set_point"),)),
    # gxplink events: workflows, signatures, definitions, audit records
    "io.gxplink.evt.gxplink.workflow_started": Rule("started", "workflow", "workflow_id"),
    "io.gxplink.evt.gxplink.workflow_step_completed": Rule("step_completed", "workflow", "workflow_id"),
    "io.gxplink.evt.gxplink.workflow_completed": Rule("completed", "workflow", "workflow_id"),
    "io.gxplink.evt.gxplink.workflow_failed": Rule("failed", "workflow", "workflow_id"),
    "io.gxplink.evt.gxplink.signature_recorded": Rule("signed", "signature", "signature.signature_id",
                                                      record="signature"),
    "io.gxplink.evt.gxplink.process_definition_published": Rule("published", "process_definition",
                                                                "definition.definition_id", record="definition"),
    "io.gxplink.evt.gxplink.audit_recorded": Rule("native", "native", "record.target_id", native=True),
    "io.gxplink.evt.gxplink.data_integrity_issue_detected": Rule("detected", "data_integrity_issue", "issue_id"),
    "io.gxplink.evt.gxplink.transfer_package_shared": Rule("package_sent", "transfer", "transfer_id"),
    "io.gxplink.evt.gxplink.transfer_status_reported": Rule("status_reported", "transfer", "transfer_id"),
    # command replies, one pair per system
    **{f"io.gxplink.evt.{s}.command_succeeded": _SUCCEEDED for s in ("mes", "lims", "qms", "erp", "deltav")},
    **{f"io.gxplink.evt.{s}.command_failed": _FAILED for s in ("mes", "lims", "qms", "erp", "deltav")},
    # commands: the action is the request itself
    "io.gxplink.cmd.mes.hold_batch": Rule("hold_batch", "batch", "batch_id"),
    "io.gxplink.cmd.mes.resume_batch": Rule("resume_batch", "batch", "batch_id"),
    "io.gxplink.cmd.mes.record_qc_summary": Rule("record_qc_summary", "batch", "batch_id"),
    "io.gxplink.cmd.mes.attach_external_reference": Rule("attach_external_reference", "batch", "batch_id"),
    "io.gxplink.cmd.mes.provision_master_recipe": Rule("provision_master_recipe", "master_recipe",
                                                        ("master_recipe.recipe_id", "master_recipe.version")),
    "io.gxplink.cmd.lims.place_test_order": Rule("place_test_order", "test_order", "placer_order_id"),
    "io.gxplink.cmd.lims.cancel_test_order": Rule("cancel_test_order", "test_order", "order_id"),
    "io.gxplink.cmd.lims.provision_specifications": Rule("provision_specifications", "transfer", "transfer_id"),
    "io.gxplink.cmd.qms.open_deviation": Rule("open_deviation", "deviation", "$id"),
    "io.gxplink.cmd.qms.change_deviation_status": Rule("change_deviation_status", "deviation", "deviation_id",
                                                       lookup_old=True),
    "io.gxplink.cmd.qms.link_capa": Rule("link_capa", "capa", "capa_id"),
    "io.gxplink.cmd.erp.set_lot_disposition": Rule("set_lot_disposition", "lot", "lot_id"),
    "io.gxplink.cmd.erp.release_lot": Rule("release_lot", "lot", "lot_id"),
    "io.gxplink.cmd.erp.post_inventory_transaction": Rule("post_inventory_transaction", "inventory_transaction",
                                                          "reference"),
    "io.gxplink.cmd.erp.create_production_order": Rule("create_production_order", "batch", "batch_id"),
    "io.gxplink.cmd.erp.provision_materials": Rule("provision_materials", "transfer", "transfer_id"),
    "io.gxplink.cmd.deltav.change_setpoint": Rule("change_setpoint", "setpoint", "tag"),
    "io.gxplink.cmd.deltav.start_batch_phase": Rule("start_batch_phase", "batch_phase", _PHASE),
    "io.gxplink.cmd.deltav.hold_batch_phase": Rule("hold_batch_phase", "batch_phase", _PHASE),
    "io.gxplink.cmd.deltav.restart_batch_phase": Rule("restart_batch_phase", "batch_phase", _PHASE),
    "io.gxplink.cmd.deltav.abort_batch_phase": Rule("abort_batch_phase", "batch_phase", _PHASE),
}


@dataclass(frozen=True)
class Unmapped:
    """Why a type fell back to the generic rule; recorded so an auditor sees it, and logged."""

    ce_type: str
    rule: Rule = field(default_factory=lambda: Rule("message_recorded", "message", "$id"))


def rule_for(ce_type: str) -> Rule | Unmapped:
    """The rule of a CloudEvents type (any version: the table is keyed by type family)."""
    family = ce_type.rsplit(".v", 1)[0] if ce_type.rsplit(".v", 1)[-1].isdigit() else ce_type
    return RULES.get(family) or Unmapped(ce_type)
