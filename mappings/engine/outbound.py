"""Outbound mappings: a canonical command -> what the legacy system takes.

Targets: `hl7v2` (segments built from templates, then parsed and validated with hl7apy) and
`json` (a document built from JSON pointers: a REST body, SOAP call arguments, an OPC UA write).
Rules read the command's envelope with JSON pointers (`/id`, `/data/sample_id`; inside `each`,
pointers are relative to the item and `^/...` starts at the envelope).

    direction: outbound
    source: {type: io.gxplink.cmd.lims.place_test_order, schema_version: 1}
    target: {format: hl7v2, message: OML^O21^OML_O21, version: 2.5.1}
    segments:
      - {segment: MSH, fields: {3: {const: GXPLINK}, 10: {path: /id}}}
      - each: /data/tests
        segments: [{segment: OBR, fields: {4.1: {path: ""}}}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from canonical_model.envelope import Envelope, envelope_type
from canonical_model.registry import types_by_ce_type
from mappings.engine.code_tables import CodeTable
from mappings.engine.errors import MappingError, TranslationError
from mappings.engine.hl7 import Delimiters
from mappings.engine.hl7_validate import validate_hl7
from mappings.engine.rules import Compiled, RuleEnv, compile_rule
from mappings.engine.schema_check import SchemaIndex
from mappings.engine.sources import JsonSource, TreeCursor
from mappings.engine.yaml_lines import Node


@dataclass
class SegmentTemplate:
    name: str
    fields: list[tuple[tuple[int, ...], Compiled]]  # (field, component, subcomponent) -> rule
    group: tuple[str, ...] = ()  # hl7apy group path, e.g. (OML_O21_ORDER, OML_O21_OBSERVATION_REQUEST)


@dataclass(frozen=True)
class RenderedSegment:
    text: str
    group: tuple[str, ...]
    iteration: tuple[int, ...]  # which `each` iteration (nested) produced it: one group instance per iteration


@dataclass
class EachBlock:
    path: str
    items: Compiled
    body: list[SegmentTemplate | EachBlock]


@dataclass
class OutboundMapping:
    ref: str
    system: str
    spec: Node
    command_type: type[Any]
    target_format: str
    body: list[SegmentTemplate | EachBlock]
    json_fields: list[tuple[list[str], Compiled]]

    def render(self, envelope: Envelope[Any] | dict[str, Any]) -> bytes | dict[str, Any]:
        doc = envelope.model_dump(mode="json") if isinstance(envelope, Envelope) else envelope
        if doc.get("type") != self.command_type.ce_type():
            raise TranslationError("type", f"{self.ref} renders {self.command_type.ce_type()}, not {doc.get('type')}")
        root = TreeCursor(doc, doc)
        if self.target_format == "json":
            out: dict[str, Any] = {}
            for pointer, rule in self.json_fields:
                value = rule.expr(root)
                if value is not None:
                    _put(out, pointer, value)
            return out
        rendered = _render_segments(self.body, root, Delimiters(), ())
        validate_hl7(rendered, str(self.spec["target"].get("message", "")), str(self.spec["target"].get("version")))
        return "\r".join(r.text for r in rendered).encode() + b"\r"


def _render_segments(body: list[SegmentTemplate | EachBlock], ctx: TreeCursor, d: Delimiters,
                     iteration: tuple[int, ...]) -> list[RenderedSegment]:
    lines: list[RenderedSegment] = []
    for block in body:
        if isinstance(block, EachBlock):
            items = block.items.expr(ctx) or []
            for n, item in enumerate(items if isinstance(items, list) else [items]):
                lines += _render_segments(block.body, TreeCursor(ctx.root, item), d, (*iteration, n))
            continue
        fields: dict[int, dict[int, dict[int, str]]] = {}
        for (f, c, s), rule in block.fields:
            value = rule.expr(ctx)
            if value not in (None, ""):
                fields.setdefault(f, {}).setdefault(c, {})[s] = d.encode(str(value))
        lines.append(RenderedSegment(_segment(block.name, fields, d), block.group, iteration))
    return lines


def _segment(name: str, fields: dict[int, dict[int, dict[int, str]]], d: Delimiters) -> str:
    if name == "MSH":  # MSH-1 and MSH-2 are the delimiters themselves
        fields = {k: v for k, v in fields.items() if k > 2}
        start, parts = 3, ["MSH", d.component + d.repetition + d.escape + d.subcomponent]
    else:
        start, parts = 1, [name]
    for number in range(start, max(fields, default=start - 1) + 1):
        components = fields.get(number, {})
        parts.append(d.component.join(
            _subcomponents(components.get(c, {}), d) for c in range(1, max(components, default=1) + 1)))
    return d.field.join(parts)


def _subcomponents(values: dict[int, str], d: Delimiters) -> str:
    return d.subcomponent.join(values.get(s, "") for s in range(1, max(values, default=1) + 1))


def _put(out: dict[str, Any], pointer: list[str], value: Any) -> None:
    for part in pointer[:-1]:
        out = out.setdefault(part, {})
    out[pointer[-1]] = value


def compile_outbound(ref: str, system: str, spec: Node, tables: dict[str, CodeTable], tz: ZoneInfo) -> OutboundMapping:
    source = spec.get("source")
    if not isinstance(source, Node):
        raise MappingError(spec.loc("source"), "source: {type: <canonical command type>, schema_version: N}")
    ce_type = f"{source.get('type')}.v{source.get('schema_version')}"
    command = types_by_ce_type().get(ce_type)
    if command is None:
        raise MappingError(source.loc("type"), f"unknown canonical type {ce_type!r}")
    source = JsonSource()
    env = RuleEnv(source, tables, tz, source.subcontexts)
    checker = _PointerCheck(SchemaIndex(envelope_type(command).model_json_schema()))
    target = spec.get("target")
    if not isinstance(target, Node) or target.get("format") not in ("hl7v2", "json"):
        raise MappingError(spec.loc("target"), "target: {format: hl7v2 | json, ...}")
    if target["format"] == "json":
        fields = spec.get("fields")
        if not isinstance(fields, Node):
            raise MappingError(spec.loc("fields"), "fields: a mapping of target JSON pointer -> rule")
        compiled = []
        for pointer, rule in fields.items():
            if not str(pointer).startswith("/"):
                raise MappingError(fields.loc(pointer), f"target {pointer!r} must be a JSON pointer like /body/id")
            compiled.append((str(pointer)[1:].split("/"), checker.rule(rule, fields, pointer, env)))
        return OutboundMapping(ref, system, spec, command, "json", [], compiled)
    segments = spec.get("segments")
    if not isinstance(segments, list):
        raise MappingError(spec.loc("segments"), "segments: a list of segment templates")
    return OutboundMapping(ref, system, spec, command, "hl7v2", _blocks(segments, spec, env, checker, True), [])


def _blocks(items: list[Any], parent: Node, env: RuleEnv, checker: _PointerCheck,
            top: bool) -> list[SegmentTemplate | EachBlock]:
    blocks: list[SegmentTemplate | EachBlock] = []
    for item in items:
        if not isinstance(item, Node) or ("segment" not in item and "each" not in item):
            raise MappingError(parent.loc("segments"), "each entry is {segment: XYZ, fields: {...}} or "
                                                       "{each: <pointer>, segments: [...]}")
        if "each" in item:
            items_rule = checker.rule(str(item["each"]), item, "each", env, check=top)
            body = item.get("segments")
            if not isinstance(body, list):
                raise MappingError(item.loc("segments"), "each needs segments: [...]")
            blocks.append(EachBlock(str(item["each"]), items_rule, _blocks(body, item, env, checker, False)))
            continue
        fields = item.get("fields") or Node()
        if not isinstance(fields, Node):
            raise MappingError(item.loc("fields"), "fields: a mapping of field number (3, 3.1) -> rule")
        compiled = []
        for key, rule in fields.items():
            try:
                numbers = tuple(int(n) for n in str(key).split("."))
            except ValueError:
                raise MappingError(fields.loc(key), f"{key!r} is not a field number like 3, 3.1 or 3.1.2") from None
            compiled.append(((*numbers, 1, 1)[:3], checker.rule(rule, fields, key, env, check=top)))
        group = tuple(g for g in str(item.get("group", "")).split("/") if g)
        blocks.append(SegmentTemplate(str(item["segment"]), compiled, group))
    return blocks


class _PointerCheck:
    """Compiles rules and checks their envelope pointers against the command's schema."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index

    def rule(self, spec: Any, parent: Node, key: Any, env: RuleEnv, check: bool = True) -> Compiled:
        compiled = compile_rule(spec, parent, str(key), env)
        for pointer in _pointers(spec):
            absolute = pointer.startswith("^")
            if (check or absolute) and pointer.lstrip("^"):
                try:
                    self.index.field(tuple(pointer.lstrip("^")[1:].split("/")))
                except KeyError as exc:
                    raise MappingError(parent.loc(str(key)), f"source {exc.args[0]}") from None
        return compiled


def _pointers(spec: Any) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        found = [str(spec["path"])] if "path" in spec else []
        for key in ("concat", "first_of"):
            for part in spec.get(key, []) if isinstance(spec.get(key), list) else []:
                found += _pointers(part) if isinstance(part, dict) else []
        return found
    return []
