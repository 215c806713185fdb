"""The business records a message touches, found by field name anywhere in its payload.

These (kind, id) pairs are the correlation of an audit record and the nodes of the correlation
graph: every pair of entities named in one record is an edge. The index and edge rows are a pure
function of the stored `entities` column, so `verify` can re-derive them and detect any edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Entity = tuple[str, str]  # (kind, id)

ID_FIELDS: dict[str, str] = {
    "batch_id": "batch", "lot_id": "lot", "sample_id": "sample", "deviation_id": "deviation",
    "transfer_id": "transfer", "material_id": "material", "capa_id": "capa", "result_id": "result",
    "corrects_result_id": "result", "order_id": "order", "placer_order_id": "order",
    "signature_id": "signature", "investigation_id": "investigation", "change_control_id": "change_control",
    "workflow_id": "workflow", "production_order_id": "production_order", "equipment_id": "equipment",
    "unit_id": "equipment", "command_id": "command", "transaction_id": "transaction", "alarm_id": "alarm",
    "definition_id": "process_definition", "bom_id": "bom", "business_key": "reference",
    "triggering_event_id": "message",
}
LIST_FIELDS: dict[str, str] = {
    "capa_ids": "capa", "deviation_ids": "deviation", "investigation_ids": "investigation",
    "result_ids": "result", "change_control_ids": "change_control",
}
PAIR_FIELDS: tuple[tuple[str, str], ...] = (
    ("record_type", "record_id"), ("reference_type", "reference_id"), ("target_type", "target_id"),
)
ALIASES: dict[str, str] = {
    "material_lot": "lot", "lot_disposition": "lot", "test_result": "result", "test_order": "order",
    "batch_record": "batch", "inventory_transaction": "transaction", "change-control": "change_control",
}
HUB_KINDS = frozenset({"material", "equipment", "process_value", "setpoint", "bom", "process_definition"})
"""Kinds shared by many batches: shown in the graph, never followed (a material links every batch)."""


def kind_of(record_type: str) -> str:
    kind = record_type.strip().lower().replace(" ", "_")
    return ALIASES.get(kind, kind)


def collect(payload: Any) -> set[Entity]:
    """Every (kind, id) named by a known id field, id list or type/id pair, at any depth."""
    found: set[Entity] = set()
    for node in _dicts(payload):
        for key, value in node.items():
            if key in ID_FIELDS and isinstance(value, str) and value:
                found.add((ID_FIELDS[key], value))
            elif key in LIST_FIELDS and isinstance(value, list):
                found.update((LIST_FIELDS[key], v) for v in value if isinstance(v, str) and v)
        for type_key, id_key in PAIR_FIELDS:
            kind, ident = node.get(type_key), node.get(id_key)
            if isinstance(kind, str) and kind and isinstance(ident, str) and ident:
                found.add((kind_of(kind), ident))
    return found


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def encode(entities: Iterable[Entity]) -> list[list[str]]:
    """The stored form: a sorted, duplicate-free list of [kind, id]."""
    return [[kind, ident] for kind, ident in sorted(set(entities))]


def index_rows(seq: int, stored: list[list[str]]) -> list[tuple[int, str, str]]:
    """Rows of the entity index for one record: (seq, kind, entity id)."""
    return [(seq, kind, ident) for kind, ident in stored]


def edges(stored: list[list[str]]) -> set[tuple[str, str]]:
    """Undirected edges between the distinct ids of one record, each once as (smaller, larger)."""
    ids = sorted({ident for _, ident in stored})
    return {(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}


def by_kind(stored: list[list[str]]) -> dict[str, list[str]]:
    """{kind: [ids]} for display (the `correlation` of a trail record)."""
    grouped: dict[str, list[str]] = {}
    for kind, ident in stored:
        grouped.setdefault(kind, []).append(ident)
    return grouped
