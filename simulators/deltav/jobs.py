"""The ISA-95 Job Order Receiver (ISA95JobOrderReceiverObjectType) on DeltaV/JobOrderControl.

The MES downloads job orders (Store, StoreAndStart) and commands them (Start, Pause, Resume,
Stop, Abort, Cancel, Clear, Update, RevokeStart); the batch executive maps each to an ISA-88 phase
command on the unit, so a job order and a Phase.Start are the same batch. Methods answer with the
ISA-95 ReturnStatus bit mask; JobOrderList shows every job order with its ISA-95 state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server

from simulators.deltav import job_orders as jo
from simulators.deltav import phase
from simulators.deltav.batch import BatchControl
from simulators.deltav.events import EventSink, audit_method_event
from simulators.deltav.nodes import NodeBuilder
from simulators.deltav.plant import UNITS
from simulators.deltav.session import current_user
from simulators.deltav.uatypes import ObjectIds, node_id, qname, status

NODESET = Path(__file__).parent / "nodesets" / "opc.ua.isa95-jobcontrol.nodeset2.xml"
JOBCONTROL_URI = "http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/"
_PHASE_COMMANDS = {"Start": "START", "Pause": "HOLD", "Resume": "RESTART", "Stop": "STOP", "Abort": "ABORT"}


class JobOrderReceiver:
    def __init__(self, server: Server, nodes: NodeBuilder, control: BatchControl, sink: EventSink) -> None:
        self.server, self.nodes, self.control, self.sink = server, nodes, control, sink
        self.jobs: dict[str, dict[str, Any]] = control.state.doc.data.setdefault("jobs", {})
        self.jns = 0
        control.listeners.append(self._phase_changed)

    async def build(self, parent: ua.NodeId) -> None:
        await self.server.import_xml(str(NODESET))
        self.jns = await self.server.get_namespace_index(JOBCONTROL_URI)
        receiver_type = node_id(1002, self.jns)  # ISA95JobOrderReceiverObjectType
        receiver = await self.server.get_node(parent).add_object(
            self.nodes.id("JobOrderControl"), qname("JobOrderControl", self.nodes.ns), objecttype=receiver_type)
        for name, value, vtype in (("EquipmentID", UNITS, ua.VariantType.String),
                                   ("MaxDownloadableJobOrders", jo.MAX_JOB_ORDERS, ua.VariantType.UInt16),
                                   ("WorkMaster", jo.work_masters(), ua.VariantType.ExtensionObject)):
            await (await self._child(receiver, name)).write_value(ua.Variant(value, vtype))
        for name in ("Store", "StoreAndStart", "Update", "Cancel", "Clear", "RevokeStart", *_PHASE_COMMANDS):
            self.server.link_method(await self._child(receiver, name), self._method(name))
        await self.publish()

    async def _child(self, node: Node, name: str) -> Node:
        return await node.get_child(qname(name, self.jns))

    async def publish(self) -> None:
        entries = [ua.ISA95JobOrderAndStateDataType(JobOrder=jo.job_order(job_id, job),  # type: ignore[attr-defined]
                                                    State=jo.job_state(job, self.jns))
                   for job_id, job in self.jobs.items()]
        await self.nodes.publish("JobOrderControl.JobOrderList", entries, ua.VariantType.ExtensionObject,
                                 self.control.clock.now())

    def _method(self, name: str) -> Any:
        async def call(parent: ua.NodeId, *args: ua.Variant) -> list[ua.Variant]:
            user = current_user.get()
            values = [a.Value for a in args]
            texts = values[1] if len(values) > 1 and isinstance(values[1], list) else []
            comment = " ".join(getattr(t, "Text", None) or "" for t in texts)
            result = await self._run(name, values[0] if values else None, user, comment)
            event = audit_method_event(self.nodes.ns, "JobOrderControl", name, values[:1], user, status())
            event.Status = result == jo.OK
            await self.sink.emit(event, [node_id(ObjectIds.Server)])
            return [ua.Variant(result, ua.VariantType.UInt64)]

        return call

    async def _run(self, name: str, arg: Any, user: str, comment: str) -> int:
        if name in ("Store", "StoreAndStart", "Update"):
            parsed = jo.parse(arg)
            if isinstance(parsed, int):
                return parsed
            job_id = str(arg.JobOrderID)
            before = self._state_name(job_id)
            result = self._store(job_id, parsed, replace=name == "Update")
            if result == jo.OK:
                await self._changed(job_id, user, name, comment, before)
            if result != jo.OK or name != "StoreAndStart":
                return result
            return await self._command(job_id, "Start", user, comment)
        if not isinstance(arg, str) or arg not in self.jobs:
            return jo.UNKNOWN_ID if isinstance(arg, str) else jo.INVALID_REQUEST
        if name in _PHASE_COMMANDS:
            return await self._command(arg, name, user, comment)
        job, before = self.jobs[arg], self._state_name(arg)
        allowed = {"Cancel": ("", "REVOKED"), "RevokeStart": ("",), "Clear": phase.FINISHED}[name]
        if job["phase_state"] not in allowed:
            return jo.INVALID_COMMAND
        if name == "RevokeStart":
            job["phase_state"] = "REVOKED"
        else:
            unit = self.control.state.unit(job["unit"])
            if name == "Clear" and unit["batch_id"] == arg and unit["state"] in phase.FINISHED:
                await self.control.command(job["unit"], "RESET", user)
            del self.jobs[arg]
        await self._changed(arg, user, name, comment, before)
        return jo.OK

    def _state_name(self, job_id: str) -> str:
        return jo.JOB_STATES[self.jobs[job_id]["phase_state"]][0] if job_id in self.jobs else ""

    def _store(self, job_id: str, job: dict[str, Any], replace: bool) -> int:
        if replace and job_id not in self.jobs:
            return jo.UNKNOWN_ID
        if replace and self.jobs[job_id]["phase_state"] not in ("", "REVOKED"):
            return jo.INVALID_COMMAND
        if not replace and (job_id in self.jobs or len(self.jobs) >= jo.MAX_JOB_ORDERS):
            return jo.UNABLE_TO_ACCEPT
        self.jobs[job_id] = job
        return jo.OK

    async def _command(self, job_id: str, name: str, user: str, comment: str) -> int:
        job, command = self.jobs[job_id], _PHASE_COMMANDS[name]
        unit = self.control.state.unit(job["unit"])
        if command == "START":
            if job["phase_state"] != "":
                return jo.INVALID_STATUS if job["phase_state"] == "REVOKED" else jo.INVALID_COMMAND
            if unit["state"] in phase.FINISHED:
                await self.control.command(job["unit"], "RESET", user)
        elif unit["batch_id"] != job_id:
            return jo.INVALID_COMMAND
        reason = comment if command in ("HOLD", "STOP", "ABORT") else ""
        try:
            await self.control.command(job["unit"], command, user, batch_id=job_id, phase_id=job["phase_id"],
                                       reason=reason)
        except phase.InvalidTransition:
            return jo.INVALID_COMMAND
        return jo.OK

    async def _changed(self, job_id: str, user: str, method: str, comment: str, before: str) -> None:
        self.control.state.save()
        after = self._state_name(job_id) or "Removed"
        await self.control.journal.record(user, method.lower(), "job_order", job_id, {"job_state": (before, after)},
                                          comment)
        await self.publish()

    async def _phase_changed(self, unit: str, current: dict[str, Any]) -> None:
        """Keep each started job's ISA-95 state in step with its unit's ISA-88 phase state."""
        job = self.jobs.get(current.get("batch_id") or "")
        if job and job["unit"] == unit:
            job["phase_state"] = current["state"]
            self.control.state.save()
            await self.publish()
