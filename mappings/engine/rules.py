"""Field rules, compiled once into closures: the per-message work is only calling them.

A rule is a source path (shorthand string) or a mapping:
    base:      path | const | concat: [...] (strings are literals, {path: ...} reads) |
               first_of: [...] | each (+ fields) | now (when gxplink received the input)
    modifiers: join (a list into text), regex, split, map, lookup (+ lookup_default: keep | error),
               datetime (+ timezone), as, datetime_out, convert: {from: <rule>, to: <UCUM>}, default,
               when (+ else), required
Modifiers apply in that order, so `when` guards the finished value, default included.
A rule's value None means "absent": the target field is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mappings.engine.code_tables import CodeTable
from mappings.engine.conditions import compile_condition
from mappings.engine.errors import MappingError, TranslationError
from mappings.engine.modifiers import (
    ValueFn,
    as_type,
    code_lookup,
    inline_map,
    join_list,
    lift,
    parse_time,
    regex_extract,
    render_time,
    split_value,
    trim,
)
from mappings.engine.sources import Source
from mappings.engine.transforms import convert_unit
from mappings.engine.yaml_lines import Node

Expr = Callable[[Any], Any]
RECEIVED_AT: ContextVar[datetime] = ContextVar("received_at")  # set per translation: when gxplink received it
BASES = ("path", "const", "concat", "first_of", "each", "now")
MODIFIERS = ("when", "else", "regex", "split", "map", "lookup", "lookup_default", "datetime", "timezone", "as",
             "datetime_out",
             "convert", "default", "required", "fields", "sep", "trim", "join")


@dataclass
class RuleEnv:
    """What rules compile against: the source format, the code tables, the site time zone."""

    source: Source
    tables: dict[str, CodeTable]
    timezone: ZoneInfo
    subcontexts: Callable[[Any, str], list[Any]]


@dataclass(frozen=True)
class Compiled:
    expr: Expr
    kind: str | None  # static output type when known: string, number, integer, boolean, datetime, array, object
    path: str  # source path for error messages


def compile_rule(spec: Any, parent: Node, key: str, env: RuleEnv) -> Compiled:
    if isinstance(spec, str):
        spec = _node({"path": spec}, parent, key)
    if not isinstance(spec, Node):
        raise MappingError(parent.loc(key), f"{key}: a rule is a path string or a mapping, got {spec!r}")
    unknown = set(spec) - set(BASES) - set(MODIFIERS)
    if unknown:
        raise MappingError(spec.loc(sorted(unknown)[0]), f"unknown rule key(s) {sorted(unknown)}; "
                                                         f"known: {', '.join(BASES + MODIFIERS)}")
    bases = [b for b in BASES if b in spec]
    if len(bases) != 1:
        raise MappingError(spec.loc(), f"{key}: a rule needs exactly one of {', '.join(BASES)}")
    base = _compile_base(bases[0], spec, env)
    return _with_modifiers(base, spec, env, key)


def _node(data: dict[str, Any], parent: Node, key: str) -> Node:
    node = Node(data)
    node.file, node.line = parent.file, parent.key_lines.get(key, parent.line)
    node.key_lines = {k: node.line for k in data}
    return node


def _compile_base(base: str, spec: Node, env: RuleEnv) -> Compiled:
    value = spec[base]
    if base == "path":
        try:
            getter = env.source.compile_path(str(value))
        except ValueError as exc:
            raise MappingError(spec.loc("path"), str(exc)) from None
        return Compiled(getter, None, str(value))
    if base == "now":
        return Compiled(lambda ctx: RECEIVED_AT.get().isoformat(), "datetime", "now")
    if base == "const":
        kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value))
        return Compiled(lambda ctx: value, kind, "const")
    if base in ("concat", "first_of"):
        if not isinstance(value, list) or not value:
            raise MappingError(spec.loc(base), f"{base} takes a non-empty list")
        parts = [_literal_or_rule(p, spec, base, env, literal_strings=base == "concat") for p in value]
        if base == "first_of":
            return Compiled(lambda ctx: next((v for p in parts if (v := p.expr(ctx)) not in (None, "")), None),
                            _same_kind(parts), "|".join(p.path for p in parts))
        sep = str(spec.get("sep", ""))

        sourced = [p.path != "const" for p in parts]

        def concat(ctx: Any) -> Any:
            values = [p.expr(ctx) for p in parts]
            if any(sourced) and all(v in (None, "") for v, s in zip(values, sourced, strict=True) if s):
                return None  # nothing from the source: absent, not a string of separators
            return sep.join("" if v is None else str(v) for v in values)
        return Compiled(concat, "string", "+".join(p.path for p in parts))
    return _compile_each(spec, env)


def _literal_or_rule(part: Any, spec: Node, key: str, env: RuleEnv, literal_strings: bool) -> Compiled:
    if literal_strings and not isinstance(part, dict):
        if isinstance(part, str) and _looks_like_path(part, env):
            raise MappingError(spec.loc(key), f"{key}: the literal {part!r} looks like a source path; write "
                                              f"{{path: {part}}} to read it, or {{const: {part!r}}} for the text")
        return Compiled(lambda ctx: part, "string", "const")
    return compile_rule(part, spec, key, env)


def _looks_like_path(text: str, env: RuleEnv) -> bool:
    if env.source.format not in ("hl7v2", "json") or len(text) < 2:
        return False
    try:
        env.source.compile_path(text)
    except ValueError:
        return False
    return True


def _same_kind(parts: list[Compiled]) -> str | None:
    kinds = {p.kind for p in parts}
    return kinds.pop() if len(kinds) == 1 else None


def _compile_each(spec: Node, env: RuleEnv) -> Compiled:
    path = str(spec["each"])
    if "fields" not in spec:
        try:
            getter = env.source.compile_path(path)
        except ValueError as exc:
            raise MappingError(spec.loc("each"), str(exc)) from None
        return Compiled(lambda ctx: _listify(getter(ctx)), "array", path)
    fields = spec["fields"]
    if not isinstance(fields, Node):
        raise MappingError(spec.loc("fields"), "fields takes a mapping of target field -> rule")
    compiled = {name: compile_rule(rule, fields, name, env) for name, rule in fields.items()}

    def each(ctx: Any) -> list[dict[str, Any]]:
        items = []
        for sub in env.subcontexts(ctx, path):
            item: dict[str, Any] = {}
            for name, rule in compiled.items():
                if (value := rule.expr(sub)) is not None:
                    _set_dotted(item, name, value)
            if item:
                items.append(item)
        return items
    return Compiled(each, "array", path)


def _set_dotted(item: dict[str, Any], name: str, value: Any) -> None:
    """`set_point.value` in an item's fields builds the nested object."""
    *parents, last = name.split(".")
    for part in parents:
        item = item.setdefault(part, {})
    item[last] = value


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _with_modifiers(c: Compiled, spec: Node, env: RuleEnv, target: str) -> Compiled:
    expr, kind, path = c.expr, c.kind, c.path
    if "join" in spec:
        expr, kind = join_list(expr, str(spec["join"])), "string"
    if spec.get("trim", True) and kind in (None, "string", "array"):
        expr = lift(expr, trim)
    steps: list[tuple[str, Callable[[], ValueFn], str | None]] = [
        ("regex", lambda: regex_extract(spec), "string"),
        ("split", lambda: split_value(spec), "string"),
        ("map", lambda: inline_map(spec), None),
        ("lookup", lambda: code_lookup(spec, env, path), None),
        ("datetime", lambda: parse_time(spec, env, path), "datetime"),
        ("as", lambda: as_type(spec, path), str(spec.get("as"))),
        ("datetime_out", lambda: render_time(spec, env, path), "string"),
    ]
    for key, make, new_kind in steps:
        if key in spec:
            expr = lift(expr, make())
            kind = "array" if kind == "array" else new_kind
    if "convert" in spec:
        expr = _convert(expr, spec, env, path)
    if "default" in spec:
        default, inner = spec["default"], expr
        expr = lambda ctx: v if (v := inner(ctx)) not in (None, "", []) else default  # noqa: E731
    if "when" in spec:
        expr = _when(expr, spec, env)
    if spec.get("required"):
        inner_required = expr

        def required(ctx: Any) -> Any:
            value = inner_required(ctx)
            if value in (None, "", []):
                raise TranslationError(path, f"missing, but {target} requires it")
            return value
        expr = required
    return Compiled(expr, kind, path)


def _convert(expr: Expr, spec: Node, env: RuleEnv, path: str) -> Expr:
    how = spec["convert"]
    if not isinstance(how, Node) or "from" not in how or "to" not in how:
        raise MappingError(spec.loc("convert"), "convert takes {from: <rule giving the source UCUM unit>, to: <UCUM>}")
    unit_of = compile_rule(how["from"], how, "from", env).expr
    target = str(how["to"])

    def convert(ctx: Any) -> Any:
        value, unit = expr(ctx), unit_of(ctx)
        if value is None or unit is None:
            return value
        try:
            return convert_unit(float(value), str(unit), target)
        except ValueError as exc:
            raise TranslationError(path, str(exc)) from None
    return convert


def _when(expr: Expr, spec: Node, env: RuleEnv) -> Expr:
    condition = compile_condition(spec["when"], spec, lambda s, p: compile_rule(s, p, "when", env).expr)
    otherwise = compile_rule(spec["else"], spec, "else", env).expr if "else" in spec else (lambda ctx: None)
    return lambda ctx: expr(ctx) if condition(ctx) else otherwise(ctx)
