"""The registry: every message has a unique, well-formed wire identity."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest

from canonical_model.base import SYSTEMS, SourceSystem
from canonical_model.envelope import EnvelopeError
from canonical_model.messages import Command, Event
from canonical_model.registry import latest_types, lookup, message_types, type_family, types_by_ce_type
from canonical_model.replies import CommandFailed, CommandSucceeded, failed_type, reply_types, succeeded_type

pytestmark = pytest.mark.unit

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
REQUIRED = {
    "deltav": {"process_value_recorded", "alarm_raised", "alarm_acknowledged", "alarm_cleared",
               "batch_phase_changed", "setpoint_changed", "change_setpoint", "start_batch_phase",
               "hold_batch_phase", "restart_batch_phase", "abort_batch_phase"},
    "lims": {"sample_received", "test_order_accepted", "test_result_recorded", "test_result_corrected",
             "place_test_order", "cancel_test_order", "provision_specifications"},
    "qms": {"deviation_opened", "deviation_status_changed", "investigation_opened", "capa_opened",
            "capa_status_changed", "capa_linked", "change_control_opened", "change_control_status_changed",
            "open_deviation", "change_deviation_status", "link_capa"},
    "mes": {"batch_created", "batch_state_changed", "batch_step_completed", "material_consumed", "sample_pulled",
            "step_signed_off", "hold_batch", "resume_batch", "record_qc_summary", "attach_external_reference",
            "provision_master_recipe"},
    "erp": {"lot_created", "lot_status_changed", "lot_released", "lot_rejected", "inventory_transaction_posted",
            "bom_published", "production_order_created", "set_lot_disposition", "release_lot",
            "post_inventory_transaction", "create_production_order", "provision_materials"},
    "gxplink": {"workflow_started", "workflow_step_completed", "workflow_completed", "workflow_failed",
                "signature_recorded", "process_definition_published", "audit_recorded",
                "data_integrity_issue_detected", "transfer_package_shared", "transfer_status_reported"},
}


def test_subjects_and_ce_types_are_unique() -> None:
    types = message_types()
    assert len({cls.subject() for cls in types}) == len(types)
    assert len({cls.ce_type() for cls in types}) == len(types)
    assert len(set(types)) == len(types)


@pytest.mark.parametrize("cls", message_types(), ids=lambda cls: cls.ce_type())
def test_wire_identity_is_well_formed(cls: type[Event] | type[Command]) -> None:
    assert SNAKE.match(cls.NAME), cls.NAME
    assert cls.VERSION == 1
    assert cls.SYSTEM in (*SYSTEMS, "gxplink")
    assert cls.subject() == f"gxp.{cls.KIND}.{cls.SYSTEM}.{cls.NAME}"
    assert issubclass(cls, Event if cls.KIND == "evt" else Command)
    assert cls.__doc__, "every message says why it exists"


def test_required_messages_exist() -> None:
    names: dict[str, set[str]] = {}
    for cls in message_types():
        names.setdefault(cls.SYSTEM, set()).add(cls.NAME)
    for system, required in REQUIRED.items():
        assert required <= names[system], required - names[system]


def test_events_are_past_tense_and_commands_imperative_by_name() -> None:
    for cls in message_types():
        if cls.KIND == "evt":
            assert cls.NAME.endswith(("ed", "_off")), cls.NAME
        else:
            assert not cls.NAME.endswith("ed"), cls.NAME


def test_reply_types_one_pair_per_system_on_that_systems_subject() -> None:
    replies = reply_types()
    assert len(replies) == 2 * len(SYSTEMS)
    for system in SYSTEMS:
        ok, failed = succeeded_type(system), failed_type(system)
        assert issubclass(ok, CommandSucceeded) and issubclass(failed, CommandFailed)
        assert ok.subject() == f"gxp.evt.{system}.command_succeeded"
        assert failed.ce_type() == f"io.gxplink.evt.{system}.command_failed.v1"
        assert {ok, failed} <= set(message_types())


def test_reply_must_answer_a_command_of_its_own_system(t0: object) -> None:
    with pytest.raises(ValueError, match=r"command_type: must start with 'io.gxplink.cmd.lims.'"):
        succeeded_type("lims")(
            command_id="c-1", command_type="io.gxplink.cmd.erp.release_lot.v1", completed_at=t0
        )


def test_lookup_and_table() -> None:
    table = types_by_ce_type()
    assert lookup("io.gxplink.evt.erp.lot_released.v1") is table["io.gxplink.evt.erp.lot_released.v1"]
    with pytest.raises(EnvelopeError, match=r"type: unknown canonical message type 'io.gxplink.evt.erp.nope.v1'"):
        lookup("io.gxplink.evt.erp.nope.v1")
    table.clear()  # a copy: callers cannot corrupt the registry
    assert types_by_ce_type()


def test_type_family_and_latest_types() -> None:
    assert type_family("io.gxplink.cmd.erp.release_lot.v12") == "io.gxplink.cmd.erp.release_lot"
    latest = latest_types()
    assert latest["io.gxplink.cmd.erp.release_lot"].ce_type() == "io.gxplink.cmd.erp.release_lot.v1"
    assert len(latest) == len(message_types())


def test_foreign_subclasses_do_not_enter_the_registry() -> None:
    class Sneaky(Event):
        SYSTEM: ClassVar[SourceSystem] = "erp"
        NAME: ClassVar[str] = "lot_released"  # would collide with the real LotReleased
        VERSION: ClassVar[int] = 1

    assert Sneaky not in message_types()
    assert lookup(Sneaky.ce_type()) is not Sneaky
