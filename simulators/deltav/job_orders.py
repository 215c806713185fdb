"""ISA-95 job orders as DeltaV's batch executive understands them (OPC 10031-4 v2, ISA95-JOBCONTROL).

A job order names the batch (JobOrderID), the unit (first EquipmentRequirement) and the recipe
phase (first WorkMasterID; empty: the unit's first phase). Its ISA-95 job state is derived from
the unit's ISA-88 phase state while the unit runs that batch.
"""

from __future__ import annotations

from typing import Any

from asyncua import ua

from simulators.deltav.plant import PHASES, phase_def, unit_of
from simulators.deltav.uatypes import qname

# ReturnStatus bits (OPC 10031-4 Annex B.2)
OK, UNKNOWN_ID, INVALID_COMMAND, INVALID_STATUS, UNABLE_TO_ACCEPT = 1, 2, 4, 8, 16
INVALID_REQUEST = 1 << 32
MAX_JOB_ORDERS = 10

# phase state -> (job state, StateNumber, (substate machine, substate, StateNumber) or None)
_HELD = ("Interrupted", 4, ("InterruptedSubstates", "Held", 1))
_ENDED = ("Ended", 5, ("EndedSubstates", "Completed", 1))
_ABORTED: tuple[str, int, tuple[str, int, int] | None] = ("Aborted", 6, None)
JOB_STATES: dict[str, tuple[str, int, tuple[str, str, int] | None]] = {
    **dict.fromkeys(("", "IDLE"), ("AllowedToStart", 2, ("AllowedToStartSubstates", "Ready", 2))),
    "REVOKED": ("NotAllowedToStart", 1, None),
    # STOPPING and ABORTING still execute phase logic: the job is Running until the phase has ended
    **dict.fromkeys(("RUNNING", "RESTARTING", "STOPPING", "ABORTING"), ("Running", 3, None)),
    "HOLDING": _HELD, "HELD": _HELD, "COMPLETE": _ENDED, "STOPPED": _ENDED, "ABORTED": _ABORTED,  # type: ignore[dict-item]
}


def parse(order: Any) -> dict[str, Any] | int:
    """The stored form of a job order, or the ReturnStatus that refuses it."""
    if not hasattr(order, "JobOrderID") or not order.JobOrderID or len(order.JobOrderID) > 64:
        return INVALID_REQUEST
    equipment = [e.ID for e in order.EquipmentRequirements or [] if e.ID]
    work_masters = [w.ID for w in order.WorkMasterID or [] if w.ID]
    try:
        unit = unit_of(equipment[0]) if equipment else ""
        phase = phase_def(unit, work_masters[0] if work_masters else None).id if unit else ""
    except (KeyError, ValueError):
        return UNABLE_TO_ACCEPT
    if not unit:
        return UNABLE_TO_ACCEPT
    description = order.Description[0].Text if order.Description else ""
    return {"unit": unit, "phase_id": phase, "description": description or "", "phase_state": ""}


def job_order(job_id: str, job: dict[str, Any]) -> Any:
    """The ISA95JobOrderDataType as stored (ua classes are generated when the NodeSet is imported)."""
    return ua.ISA95JobOrderDataType(  # type: ignore[attr-defined]
        JobOrderID=job_id, Description=[ua.LocalizedText(job["description"])] if job["description"] else [],
        WorkMasterID=[ua.ISA95WorkMasterDataType(ID=job["phase_id"])],  # type: ignore[attr-defined]
        EquipmentRequirements=[ua.ISA95EquipmentDataType(ID=job["unit"])])  # type: ignore[attr-defined]


def job_state(job: dict[str, Any], ns: int) -> list[Any]:
    """ISA95StateDataType entries: the top level state first (null BrowsePath), then the substate."""
    name, number, sub = JOB_STATES[job["phase_state"]]
    states = [ua.ISA95StateDataType(StateText=ua.LocalizedText(name), StateNumber=number)]  # type: ignore[attr-defined]
    if sub:
        path = ua.RelativePath(Elements=[ua.RelativePathElement(TargetName=qname(sub[0], ns))])
        states.append(ua.ISA95StateDataType(BrowsePath=path, StateText=ua.LocalizedText(sub[1]),  # type: ignore[attr-defined]
                                            StateNumber=sub[2]))
    return states


def work_masters() -> list[Any]:
    """What the receiver can run: every recipe phase of every unit (WorkMaster property)."""
    return [ua.ISA95WorkMasterDataType(ID=p.id, Description=ua.LocalizedText(f"{unit}: {p.name}"))  # type: ignore[attr-defined]
            for unit, phases in PHASES.items() for p in phases]
