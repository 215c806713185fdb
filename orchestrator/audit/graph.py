"""The correlation graph: which business records are linked to an id, across systems.

Nodes are ids (batch, lot, sample, result, deviation, CAPA, signature, transfer...), edges join ids
named in one audit record. A trail must stay the trail of *its* batch, so the walk does not follow
everything: materials and equipment (hubs shared by every batch) are shown but not followed; other
batches are shown but not followed; and an id that also belongs to another batch (a raw-material
lot, a shared CAPA's other deviation) is shown but not followed. The anchors are the batches of the
start id (itself if it is a batch, else the batches within two steps of it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orchestrator.audit.entities import HUB_KINDS
from orchestrator.audit.schema import links, record_entities

CHUNK = 500


@dataclass
class Node:
    id: str
    kinds: set[str]
    distance: int
    followed: bool = False


@dataclass
class Graph:
    start: str
    anchors: set[str] = field(default_factory=set)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    @property
    def followed(self) -> set[str]:
        """The ids whose records make up the trail."""
        return {n.id for n in self.nodes.values() if n.followed}


class _Walk:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.adj: dict[str, set[str]] = {}
        self.kinds: dict[str, set[str]] = {}

    async def load(self, ids: Iterable[str]) -> None:
        """Neighbours of `ids` and the kinds of them and their neighbours."""
        ids = set(ids)
        todo = sorted(ids - self.adj.keys())
        for chunk in _chunks(todo):
            for a, b in await self.conn.execute(select(links.c.a, links.c.b).where(links.c.a.in_(chunk))):
                self.adj.setdefault(a, set()).add(b)
            for b, a in await self.conn.execute(select(links.c.b, links.c.a).where(links.c.b.in_(chunk))):
                self.adj.setdefault(b, set()).add(a)
        for ident in todo:
            self.adj.setdefault(ident, set())
        unknown = sorted(({m for i in ids for m in self.adj.get(i, ())} | ids) - self.kinds.keys())
        for chunk in _chunks(unknown):
            query = select(record_entities.c.entity_id, record_entities.c.kind).where(
                record_entities.c.entity_id.in_(chunk)).distinct()
            for ident, kind in await self.conn.execute(query):
                self.kinds.setdefault(ident, set()).add(kind)
        for ident in unknown:
            self.kinds.setdefault(ident, set())

    def is_batch(self, ident: str) -> bool:
        return "batch" in self.kinds.get(ident, set())

    def is_hub(self, ident: str) -> bool:
        kinds = self.kinds.get(ident, set())
        return bool(kinds) and kinds <= HUB_KINDS


async def linked(conn: AsyncConnection, start: str) -> Graph:
    walk, graph = _Walk(conn), Graph(start)
    await walk.load([start])
    graph.anchors = await _anchors(walk, start)
    frontier = [start, *sorted(graph.anchors - {start})]
    for distance, ident in enumerate(frontier):
        graph.nodes[ident] = Node(ident, walk.kinds.get(ident, set()), min(distance, 1))
    while frontier:
        await walk.load(frontier)
        following: list[str] = []
        for ident in frontier:
            if not _follow(walk, graph, ident):
                continue
            graph.nodes[ident].followed = True
            for other in sorted(walk.adj[ident]):
                graph.edges.add((min(ident, other), max(ident, other)))
                if other not in graph.nodes:
                    graph.nodes[other] = Node(other, walk.kinds.get(other, set()), graph.nodes[ident].distance + 1)
                    following.append(other)
        frontier = following
    return graph


async def _anchors(walk: _Walk, start: str) -> set[str]:
    if walk.is_batch(start):
        return {start}
    near = {n for n in walk.adj[start] if walk.is_batch(n)}
    if near:
        return near
    second = [n for n in walk.adj[start] if not walk.is_hub(n)]
    await walk.load(second)
    return {m for n in second for m in walk.adj[n] if walk.is_batch(m)}


def _follow(walk: _Walk, graph: Graph, ident: str) -> bool:
    if ident == graph.start or ident in graph.anchors:
        return True
    if walk.is_hub(ident) or walk.is_batch(ident):
        return False
    return not any(walk.is_batch(n) and n not in graph.anchors for n in walk.adj[ident])


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]
