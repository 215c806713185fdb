"""Conditions for `when`, `skip_when` and friends, compiled like values.

    {path: OBX-2, equals: NM}   {path: OBX-11, in: [C, W]}   {path: OBX-5, present: true}
    {path: MSH-12, matches: '^2\\.5'}   {all: [...]}   {any: [...]}   {not: {...}}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mappings.engine.errors import MappingError
from mappings.engine.yaml_lines import Node

Predicate = Callable[[Any], bool]
ValueCompiler = Callable[[Any, Node], Callable[[Any], Any]]
_TESTS = ("equals", "in", "matches", "present")


def compile_condition(spec: Any, parent: Node, compile_value: ValueCompiler) -> Predicate:
    if not isinstance(spec, Node):
        raise MappingError(parent.loc(), f"a condition is a mapping like {{path: OBX-2, equals: NM}}, got {spec!r}")
    if "all" in spec or "any" in spec:
        key = "all" if "all" in spec else "any"
        parts = [compile_condition(s, spec, compile_value) for s in _as_list(spec[key], spec, key)]
        combine = all if key == "all" else any
        return lambda ctx: combine(p(ctx) for p in parts)
    if "not" in spec:
        inner = compile_condition(spec["not"], spec, compile_value)
        return lambda ctx: not inner(ctx)
    tests = [t for t in _TESTS if t in spec]
    if len(tests) != 1:
        raise MappingError(spec.loc(), f"a condition needs exactly one of {', '.join(_TESTS)}, all, any, not")
    value_spec = Node({k: v for k, v in spec.items() if k not in _TESTS})
    value_spec.file, value_spec.line, value_spec.key_lines = spec.file, spec.line, spec.key_lines
    get = compile_value(value_spec, spec)
    test, expected = tests[0], spec[tests[0]]
    if test == "equals":
        return lambda ctx: _text(get(ctx)) == _text(expected)
    if test == "in":
        options = {_text(v) for v in _as_list(expected, spec, "in")}
        return lambda ctx: _text(get(ctx)) in options
    if test == "matches":
        try:
            pattern = re.compile(str(expected))
        except re.error as exc:
            raise MappingError(spec.loc("matches"), f"invalid regex: {exc}") from None
        return lambda ctx: (v := get(ctx)) is not None and bool(pattern.search(str(v)))
    want = bool(expected)
    return lambda ctx: (get(ctx) not in (None, "", [])) is want


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_list(value: Any, spec: Node, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise MappingError(spec.loc(key), f"{key} takes a list")
    return value
