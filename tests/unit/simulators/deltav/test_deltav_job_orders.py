"""ISA-95 job orders as DeltaV's batch executive accepts them, and their ISA-95 states."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from simulators.deltav import job_orders as jo
from simulators.deltav.phase import STATES

pytestmark = pytest.mark.unit


def order(job_id: str = "B-1", unit: str | None = "BR-101", phase: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(JobOrderID=job_id, Description=[SimpleNamespace(Text="expansion")],
                           EquipmentRequirements=[SimpleNamespace(ID=unit)] if unit else [],
                           WorkMasterID=[SimpleNamespace(ID=phase)] if phase else None)


def test_a_job_order_names_batch_unit_and_phase() -> None:
    assert jo.parse(order(phase="PH-0501")) == {"unit": "BR-101", "phase_id": "PH-0501", "description": "expansion",
                                                "phase_state": ""}
    assert jo.parse(order())["phase_id"] == "PH-0301"  # type: ignore[index]


@pytest.mark.parametrize(("bad", "status"), [
    (order(job_id=""), jo.INVALID_REQUEST), (order(unit=None), jo.UNABLE_TO_ACCEPT),
    (order(unit="BR-999"), jo.UNABLE_TO_ACCEPT), (order(phase="PH-0801"), jo.UNABLE_TO_ACCEPT),
    ("not a job order", jo.INVALID_REQUEST),
])
def test_refused_job_orders_get_the_isa95_return_status(bad: object, status: int) -> None:
    assert jo.parse(bad) == status


def test_every_phase_state_has_an_isa95_job_state() -> None:
    assert set(STATES) <= set(jo.JOB_STATES)
    assert jo.JOB_STATES["HELD"][:2] == ("Interrupted", 4) and jo.JOB_STATES["ABORTING"][0] == "Running"
    assert jo.JOB_STATES[""] == ("AllowedToStart", 2, ("AllowedToStartSubstates", "Ready", 2))
    assert (jo.OK, jo.UNKNOWN_ID, jo.INVALID_COMMAND, jo.UNABLE_TO_ACCEPT, jo.INVALID_REQUEST) == (1, 2, 4, 16, 2**32)
