"""One OPC UA session with DeltaV: browse, subscribe, read, write, call, HistoryRead, ConditionRefresh.

The subscription handler only converts and hands over to the sink; loss of the transport, a Bad
subscription status or asyncua's keep-alive probe failing is reported as `sink.lost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.events import get_filter_from_event_type
from asyncua.common.node import Node
from asyncua.ua.object_ids import ObjectIds

from adapters.deltav.browse import build_plant
from adapters.deltav.client.convert import Handler, lost, numeric_id, plain, sample, service
from adapters.deltav.connection import NotificationSink
from adapters.deltav.errors import BadStatus
from adapters.deltav.model import Analog, ChildRef, PhaseSnapshot, Plant, Sample, UnitInfo

if TYPE_CHECKING:
    from adapters.deltav.client.connector import OpcUaConnector

PHASE_EVENT_TYPE = "PhaseStateEventType"
SKIPPED_REFS = {ObjectIds.HasNotifier, ObjectIds.HasEventSource}


class OpcUaConnection:
    def __init__(self, client: Client, connector: OpcUaConnector) -> None:
        self.client, self.connector, self.config = client, connector, connector.config
        self._sub: Any = None
        self._types: dict[str, str] = {}
        self.plant: Plant | None = None

    def _node(self, node_id: str) -> Node:
        return self.client.get_node(ua.NodeId.from_string(node_id))

    async def root(self, name: str) -> ChildRef | None:
        return next((r for r in await self._refs(self.client.nodes.objects) if r.name == name), None)

    async def children(self, node_id: str) -> list[ChildRef]:
        return await self._refs(self._node(node_id))

    async def _refs(self, node: Node) -> list[ChildRef]:
        async with service("browsing"):
            refs = await node.get_references(ObjectIds.HierarchicalReferences, ua.BrowseDirection.Forward)
            found: dict[str, ChildRef] = {}
            for ref in refs:
                key = ref.NodeId.to_string()
                if ref.ReferenceTypeId.Identifier in SKIPPED_REFS or key in found:
                    continue
                kind = await self._type(ref.TypeDefinition)
                found[key] = ChildRef(key, ref.BrowseName.Name, ref.NodeClass.name, kind)
        return list(found.values())

    async def _type(self, type_id: ua.NodeId) -> str:
        key = type_id.to_string()
        if key not in self._types:
            name = "" if type_id.is_null() else (await self.client.get_node(type_id).read_browse_name()).Name
            self._types[key] = name
        return self._types[key]

    async def read_values(self, node_ids: list[str]) -> list[Any]:
        async with service("reading"):
            values = await self.client.read_attributes([self._node(n) for n in node_ids])
        return [plain(v.Value) if v.StatusCode is None or v.StatusCode.is_good() else None for v in values]

    async def browse(self) -> Plant:
        c = self.config
        self.plant = await build_plant(self, c.root, c.areas, c.units)
        return self.plant

    async def subscribe(self, plant: Plant, sink: NotificationSink) -> None:
        c = self.config
        params = ua.CreateSubscriptionParameters(RequestedPublishingInterval=c.publishing_interval_ms,
                                                 RequestedLifetimeCount=c.keepalive_count * 3,
                                                 RequestedMaxKeepAliveCount=c.keepalive_count,
                                                 MaxNotificationsPerPublish=0, PublishingEnabled=True, Priority=0)
        self.client.connection_lost_callback = lambda exc: lost(sink, f"session lost ({type(exc).__name__})")
        async with service("subscribing"):
            self._sub = sub = await self.client.create_subscription(params, Handler(plant.paths, sink))
            for pv in plant.pvs.values():
                await sub.subscribe_data_change(self._node(pv.node_id), queuesize=10,
                                                sampling_interval=cast(Any, c.sampling_interval_ms))
            if plant.last_seq_node:
                await sub.subscribe_data_change(self._node(plant.last_seq_node))
            await sub.subscribe_events(self.client.nodes.server, evfilter=await self._event_filter(), queuesize=1000)

    async def _event_filter(self) -> ua.EventFilter:
        """PhaseStateEventType and ExclusiveLimitAlarmType, built from this server's type tree each session."""
        base = self.client.nodes.base_event_type
        phase = [self.client.get_node(r.NodeId) for r in await base.get_children_descriptions(
            refs=ObjectIds.HasSubtype) if r.BrowseName.Name == PHASE_EVENT_TYPE]
        return await get_filter_from_event_type([*phase, self.client.get_node(
            numeric_id(ObjectIds.ExclusiveLimitAlarmType))])

    def seconds_since_publish(self) -> float | None:
        last = getattr(self._sub, "last_publish_at", None)
        return None if last is None else time.monotonic() - last

    async def read_phases(self, plant: Plant) -> list[PhaseSnapshot]:
        units = [u for u in plant.units.values() if {"CurrentState", "BatchId"} <= set(u.phase_vars)]
        names = ("CurrentState", "BatchId", "PhaseId", "StateChangedAt")
        ids = [u.phase_vars.get(n, u.phase_vars["CurrentState"]) for u in units for n in names]
        values = await self.read_values(ids)
        snapshots = []
        for i, unit in enumerate(units):
            state, batch, phase, changed = values[i * 4:i * 4 + 4]
            when = changed if isinstance(changed, datetime) and changed.year > 1601 else None
            snapshots.append(PhaseSnapshot(unit.unit, str(state or ""), str(batch or ""),
                                           str(phase or "") if "PhaseId" in unit.phase_vars else "", when))
        return snapshots

    async def history(self, pv: Analog, start: datetime) -> list[Sample]:
        async with service(f"reading the history of {pv.tag}"):
            values = await self._node(pv.node_id).read_raw_history(start, None)
        return sorted((sample(pv.path, dv) for dv in values), key=lambda s: s.source_time or start)

    async def refresh_conditions(self) -> None:
        if self._sub is None:
            return
        async with service("ConditionRefresh"):
            await self.client.get_node(numeric_id(ObjectIds.ConditionType)).call_method(
                numeric_id(ObjectIds.ConditionType_ConditionRefresh),
                ua.Variant(self._sub.subscription_id, ua.VariantType.UInt32))

    async def write(self, sp: Analog, value: float) -> None:
        async with service(f"writing {sp.tag}"):
            await self._node(sp.node_id).write_value(ua.DataValue(ua.Variant(float(value), ua.VariantType.Double)))

    async def call(self, unit: UnitInfo, method: str, arguments: list[str]) -> str:
        assert unit.phase_node_id is not None
        async with service(f"calling {unit.unit}/Phase.{method}"):
            args = [ua.Variant(a, ua.VariantType.String) for a in arguments]
            result = await self._node(unit.phase_node_id).call_method(ua.NodeId.from_string(unit.methods[method][0]),
                                                                      *args)
        return str(plain(result) or "")

    async def audit_entries(self, after: int, limit: int) -> list[str]:
        audit = self.plant.audit if self.plant else None
        if audit is None:
            raise BadStatus("BadNoMatch", "the server has no AuditTrail.GetEntries under the plant folder")
        async with service("AuditTrail.GetEntries"):
            entries = await self._node(audit[0]).call_method(
                ua.NodeId.from_string(audit[1]), ua.Variant(after, ua.VariantType.UInt32),
                ua.Variant(limit, ua.VariantType.UInt32))
        return [str(e) for e in entries or []]

    async def close(self) -> None:
        self.client.connection_lost_callback = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.disconnect(), 3)


