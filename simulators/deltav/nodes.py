"""Small node builders over asyncua's AddNodes service, with the string NodeIds DeltaV tags give us.

asyncua's convenience helpers always type a variable as BaseDataVariableType and read-only; the
plant needs AnalogItemType variables, writable set points and historized PVs, so items are built here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server

from simulators.deltav.uatypes import ObjectIds, StatusCodes, node_id, qname, status

READ = ua.AccessLevel.CurrentRead.mask
WRITE = ua.AccessLevel.CurrentWrite.mask
HISTORY = ua.AccessLevel.HistoryRead.mask


class Arg(NamedTuple):
    name: str
    vtype: ua.VariantType
    description: str
    array: bool = False


class NodeBuilder:
    def __init__(self, server: Server, ns: int) -> None:
        self.server, self.ns = server, ns
        self.session = server.iserver.isession

    def id(self, path: str) -> ua.NodeId:
        return node_id(path, self.ns)

    def node(self, path: str) -> Node:
        return self.server.get_node(self.id(path))

    async def _add(self, item: ua.AddNodesItem) -> Node:
        result = (await self.session.add_nodes([item]))[0]
        result.StatusCode.check()
        return self.server.get_node(result.AddedNodeId)

    async def object(self, parent: ua.NodeId, path: str, name: str, display: str, typedef: ua.NodeId,
                     *, description: str = "", ref: int = ObjectIds.HasComponent, notifier: bool = False) -> Node:
        attrs = ua.ObjectAttributes(DisplayName=ua.LocalizedText(display), Description=ua.LocalizedText(description),
                                    EventNotifier=ua.EventNotifier.SubscribeToEvents.mask if notifier else 0)
        return await self._add(ua.AddNodesItem(
            RequestedNewNodeId=self.id(path), BrowseName=qname(name, self.ns), NodeClass=ua.NodeClass.Object,
            ParentNodeId=parent, ReferenceTypeId=node_id(ref), TypeDefinition=typedef, NodeAttributes=attrs))

    async def variable(self, parent: ua.NodeId, path: str, name: str, value: Any, vtype: ua.VariantType, *,
                       typedef: int = ObjectIds.BaseDataVariableType, description: str = "",
                       access: int = READ, historizing: bool = False, is_property: bool = False,
                       datatype: ua.NodeId | None = None) -> Node:
        variant = ua.Variant(value, vtype)
        attrs = ua.VariableAttributes(
            DisplayName=ua.LocalizedText(name), Description=ua.LocalizedText(description or name), Value=variant,
            DataType=datatype or node_id(vtype.value), ValueRank=1 if variant.is_array else -1,
            ArrayDimensions=[0] if variant.is_array else [], AccessLevel=access, UserAccessLevel=access,
            MinimumSamplingInterval=0.0, Historizing=historizing, WriteMask=0, UserWriteMask=0)
        ref, typedef = (ObjectIds.HasProperty, ObjectIds.PropertyType) if is_property else \
            (ObjectIds.HasComponent, typedef)
        return await self._add(ua.AddNodesItem(
            RequestedNewNodeId=self.id(path), BrowseName=qname(name, self.ns if not is_property else 0),
            NodeClass=ua.NodeClass.Variable, ParentNodeId=parent, ReferenceTypeId=node_id(ref),
            TypeDefinition=node_id(typedef), NodeAttributes=attrs))

    async def method(self, parent: Node, path: str, name: str, callback: Callable[..., Any],
                     inputs: list[Arg], outputs: list[Arg]) -> Node:
        def args(spec: list[Arg]) -> list[ua.Argument]:
            return [ua.Argument(Name=a.name, DataType=node_id(a.vtype.value), ValueRank=1 if a.array else -1,
                                ArrayDimensions=[0] if a.array else [], Description=ua.LocalizedText(a.description))
                    for a in spec]

        return await parent.add_method(self.id(path), qname(name, self.ns), callback, args(inputs),
                                       args(outputs))

    async def object_type(self, base: int, name: str,
                          properties: tuple[tuple[str, ua.VariantType], ...] = ()) -> ua.NodeId:
        """An ObjectType (or event type) with mandatory properties, so clients can build event filters from it."""
        type_node = await self.server.get_node(node_id(base)).add_object_type(self.id(name),
                                                                                qname(name, self.ns))
        for prop, vtype in properties:
            node = await type_node.add_property(self.id(f"{name}/{prop}"), qname(prop, self.ns),
                                                ua.get_default_value(vtype), varianttype=vtype)
            await node.set_modelling_rule(True)
        return type_node.nodeid

    async def reference(self, source: ua.NodeId, target: ua.NodeId, ref: int) -> None:
        await self.server.get_node(source).add_reference(target, ref, forward=True, bidirectional=True)

    async def publish(self, path: str, value: Any, vtype: ua.VariantType, when: Any,
                      code: int = StatusCodes.Good) -> None:
        """Set a value as the controller reports it: source and server timestamps from the DCS clock."""
        await self.server.write_attribute_value(self.id(path), ua.DataValue(
            ua.Variant(value, vtype), StatusCode=status(code), SourceTimestamp=when, ServerTimestamp=when))
