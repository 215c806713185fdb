"""Per-value transforms behind the rule modifiers (regex, split, map, lookup, datetime, as...).

Each returns a function of one value; `lift` applies it to a rule's value, element-wise when the
value is a list, so `each` (repeat -> list) works with every modifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mappings.engine.errors import MappingError, TranslationError
from mappings.engine.transforms import cast, parse_datetime, zone
from mappings.engine.yaml_lines import Node

Expr = Callable[[Any], Any]


ValueFn = Callable[[Any], Any]


def lift(expr: Expr, fn: ValueFn) -> Expr:
    """Apply a per-value transform to a rule's value, element-wise for lists (repeat -> list)."""
    def apply(ctx: Any) -> Any:
        value = expr(ctx)
        if value is None:
            return None
        if isinstance(value, list):
            return [r for v in value if v is not None and (r := fn(v)) is not None]
        return fn(value)
    return apply


def join_list(expr: Expr, sep: str) -> Expr:
    def join(ctx: Any) -> Any:
        value = expr(ctx)
        if isinstance(value, list):
            return sep.join(str(v) for v in value if v not in (None, "")) or None
        return value
    return join


def trim(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def regex_extract(spec: Node) -> ValueFn:
    try:
        pattern = re.compile(str(spec["regex"]))
    except re.error as exc:
        raise MappingError(spec.loc("regex"), f"invalid regex: {exc}") from None
    group = "value" if "value" in pattern.groupindex else (1 if pattern.groups else 0)

    def extract(value: Any) -> Any:
        m = pattern.search(str(value))
        return m.group(group) if m else None
    return extract


def split_value(spec: Node) -> ValueFn:
    how = spec["split"]
    if not isinstance(how, dict) or "sep" not in how or not isinstance(how.get("index", 0), int):
        raise MappingError(spec.loc("split"), "split takes {sep: <text>, index: <int>}")
    sep, index = str(how["sep"]), int(how.get("index", 0))

    def split(value: Any) -> Any:
        parts = str(value).split(sep)
        return (parts[index].strip() or None) if -len(parts) <= index < len(parts) else None
    return split


def inline_map(spec: Node) -> ValueFn:
    table = spec["map"]
    if not isinstance(table, dict):
        raise MappingError(spec.loc("map"), "map takes a mapping of source value -> target value")
    entries = {str(k): v for k, v in table.items()}
    return lambda value: entries.get(str(value))


def code_lookup(spec: Node, env: Any, path: str) -> ValueFn:
    name = str(spec["lookup"])
    if name not in env.tables:
        raise MappingError(spec.loc("lookup"), f"unknown code table {name!r}; known: {sorted(env.tables)}")
    table, fallback = env.tables[name], spec.get("lookup_default")
    if fallback not in (None, "keep", "error"):
        raise MappingError(spec.loc("lookup_default"), "lookup_default: keep (pass the code through) or error")

    def lookup(value: Any) -> Any:
        found = table.lookup(value)
        if found is not None:
            return found
        if fallback == "error":
            raise TranslationError(path, f"{value!r} is not in code table {name} "
                                                              f"v{table.version}")
        return value if fallback == "keep" else None
    return lookup


def parse_time(spec: Node, env: Any, path: str) -> ValueFn:
    style = str(spec["datetime"])
    try:
        tz = zone(str(spec["timezone"])) if "timezone" in spec else env.timezone
    except ValueError as exc:
        raise MappingError(spec.loc("timezone"), str(exc)) from None

    def parse(value: Any) -> Any:
        try:
            return parse_datetime(value, style, tz).isoformat()
        except ValueError as exc:
            raise TranslationError(path, str(exc)) from None
    return parse


def render_time(spec: Node, env: Any, path: str) -> ValueFn:
    """Render an ISO date/time for the target: `hl7` (TS with offset, in the site zone) or `iso`."""
    style = str(spec["datetime_out"])
    if style not in ("hl7", "iso"):
        raise MappingError(spec.loc("datetime_out"), "datetime_out: hl7 or iso")

    def render(value: Any) -> Any:
        try:
            moment = parse_datetime(value, "iso", env.timezone).astimezone(env.timezone)
        except ValueError as exc:
            raise TranslationError(path, str(exc)) from None
        return moment.strftime("%Y%m%d%H%M%S%z") if style == "hl7" else moment.isoformat()
    return render


def as_type(spec: Node, path: str) -> ValueFn:
    kind = str(spec["as"])
    if kind not in ("string", "number", "integer", "boolean"):
        raise MappingError(spec.loc("as"), f"as: one of string, number, integer, boolean (got {kind!r})")
    return cast_fn(kind, path)


def cast_fn(kind: str, path: str) -> ValueFn:
    def typed(value: Any) -> Any:
        try:
            return cast(value, kind)
        except ValueError:
            raise TranslationError(path, f"{value!r} is not a valid {kind}") from None
    return typed


def cast_expr(expr: Expr, kind: str, path: str) -> Expr:
    return lift(expr, cast_fn(kind, path))
