"""Inbound mappings: one source message -> canonical messages, compiled once at load.

    mapping: lims/oru_r01            version: 3           description: ...
    source: {format: hl7v2, message: ORU^R01, versions: [2.5.1, 2.3]}
    target: {type: io.gxplink.evt.lims.test_result_recorded, schema_version: 1}
    timezone: UTC                    # sender's local zone for date/times without offset
    repeat: OBX                      # one canonical message per OBX (omit: one per message)
    skip_when: {path: OBX-5, present: false}
    envelope: {key: [MSH-10, OBX-1], subject: ..., correlationid: ..., sourcetime: ..., actor: ...}
    fields: {result.value: {path: OBX-5, as: number}, ...}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from canonical_model.envelope import Envelope, describe
from canonical_model.ids import deterministic_id
from canonical_model.messages import Message
from mappings.engine.conditions import compile_condition
from mappings.engine.errors import Loc, MappingError, TranslationError
from mappings.engine.modifiers import cast_expr
from mappings.engine.rules import RECEIVED_AT, Compiled, RuleEnv, compile_rule
from mappings.engine.schema_check import SchemaIndex, kind_fits
from mappings.engine.yaml_lines import Node

ENVELOPE_KEYS = ("key", "subject", "correlationid", "sourcetime", "actor")


@dataclass(frozen=True)
class Translation:
    """One canonical message produced from a source record, with what its envelope needs."""

    message: Message
    key: tuple[str, ...]
    mapping: str
    subject: str | None = None
    correlationid: str | None = None
    sourcetime: datetime | None = None
    actor: str | None = None

    def envelope(self, *, source: str, system: str, actor: str, received: datetime | None = None) -> Envelope[Any]:
        return Envelope.wrap(
            self.message, id=deterministic_id(system, *self.key), source=source, actor=self.actor or actor,
            sourcesystem=system,  # type: ignore[arg-type]
            subject=self.subject, correlationid=self.correlationid, sourcetime=self.sourcetime,
            receivedtime=received, mapping=self.mapping,
        )


@dataclass
class InboundMapping:
    ref: str  # name@version
    system: str
    spec: Node
    env: RuleEnv
    target: type[Message]
    variants: list[tuple[Callable[[Any], bool], type[Message]]]  # (condition, other target type), first match wins
    repeat: str | None
    skip: Callable[[Any], bool] | None
    fields: list[tuple[tuple[str, ...], Compiled]]
    key: list[Compiled]
    envelope_rules: dict[str, Compiled]
    match: Callable[[Any], bool] | None = None  # for --system selection of non-HL7 sources

    def matches(self, raw: bytes) -> bool:
        try:
            doc = self.env.source.parse(raw)
            return self.match is not None and any(self.match(c) for c in self.env.source.contexts(doc, None))
        except TranslationError:
            return False

    def translate(self, raw: bytes, received: datetime | None = None) -> list[Translation]:
        """Every canonical message the input yields; TranslationError (path and reason) otherwise."""
        RECEIVED_AT.set(received or datetime.now(UTC))
        try:
            doc = self.env.source.parse(raw)
        except TranslationError as exc:
            raise TranslationError(exc.path, exc.reason, self.ref) from None
        results = []
        for n, ctx in enumerate(self.env.source.contexts(doc, self.repeat), start=1):
            where = f"{self.repeat} #{n}" if self.repeat else ""
            try:
                if self.skip is not None and self.skip(ctx):
                    continue
                results.append(self._one(ctx))
            except TranslationError as exc:
                raise TranslationError(_join(where, exc.path), exc.reason, self.ref) from None
        return results

    def _one(self, ctx: Any) -> Translation:
        data: dict[str, Any] = {}
        for path, rule in self.fields:
            value = rule.expr(ctx)
            if value is not None:
                _put(data, path, value)
        target = next((cls for when, cls in self.variants if when(ctx)), self.target)
        try:
            message = target.model_validate(data)
        except ValidationError as exc:
            raise TranslationError("", f"the result is not a valid {target.__name__}: {describe(exc)}") from None
        key = []
        for part in self.key:
            value = part.expr(ctx)
            if value in (None, ""):
                raise TranslationError(part.path, "missing: it identifies the source record (envelope.key)")
            key.append(str(value))
        env = {name: rule.expr(ctx) for name, rule in self.envelope_rules.items()}
        sourcetime = datetime.fromisoformat(env["sourcetime"]) if env.get("sourcetime") else None
        actor = env.get("actor")
        return Translation(message, tuple(key), self.ref, env.get("subject"), env.get("correlationid"),
                           sourcetime, actor if actor else None)


def _join(where: str, path: str) -> str:
    return f"{where} {path}".strip() if path else where


def _put(data: Any, path: tuple[str, ...], value: Any) -> None:
    """Set a dotted path; a numeric part indexes a list (`record.changes.0.field`)."""
    for part, following in itertools.pairwise(path):
        empty: Any = [] if following.isdigit() else {}
        if part.isdigit():
            while len(data) <= int(part):
                data.append(None)
            data[int(part)] = data[int(part)] if data[int(part)] is not None else empty
            data = data[int(part)]
        else:
            data = data.setdefault(part, empty)
    last = path[-1]
    if last.isdigit():
        while len(data) <= int(last):
            data.append(None)
        data[int(last)] = value
    else:
        data[last] = value


def compile_inbound(ref: str, system: str, spec: Node, env: RuleEnv, target: type[Message],
                    variants: list[tuple[Node, type[Message]]]) -> InboundMapping:
    fields_spec = spec.get("fields")
    if not isinstance(fields_spec, Node) or not fields_spec:
        raise MappingError(spec.loc("fields"), "fields: a mapping of target field -> rule is required")
    fields = _compile_fields(fields_spec, env, target, spec.loc("fields"))
    for _, other in variants:
        _compile_fields(fields_spec, env, other, spec.loc("fields"))  # every variant must fit the same rules
    conditions = [(compile_condition(when, spec, lambda s, p: compile_rule(s, p, "when", env).expr), cls)
                  for when, cls in variants]
    envelope = spec.get("envelope") or Node()
    if not isinstance(envelope, Node) or "key" not in envelope or not isinstance(envelope["key"], list):
        raise MappingError(spec.loc("envelope"), "envelope.key: a list of rules identifying the source record is "
                                                 "required (it makes redelivered input deduplicate)")
    unknown = set(envelope) - set(ENVELOPE_KEYS)
    if unknown:
        raise MappingError(envelope.loc(sorted(unknown)[0]), f"unknown envelope key(s) {sorted(unknown)}")
    key = [compile_rule(part, envelope, "key", env) for part in envelope["key"]]
    rules = {k: compile_rule(envelope[k], envelope, k, env) for k in ENVELOPE_KEYS[1:] if k in envelope}
    skip = None
    if "skip_when" in spec:
        skip = compile_condition(spec["skip_when"], spec, lambda s, p: compile_rule(s, p, "skip_when", env).expr)
    repeat = str(spec["repeat"]) if spec.get("repeat") else None
    return InboundMapping(ref, system, spec, env, target, conditions, repeat, skip, fields, key, rules)


def _compile_fields(fields_spec: Node, env: RuleEnv, target: type[Message],
                    where: Loc) -> list[tuple[tuple[str, ...], Compiled]]:
    index = SchemaIndex(target.model_json_schema())
    fields = []
    for name, rule_spec in fields_spec.items():
        path = tuple(name.split("."))
        try:
            schema = index.field(path)
        except KeyError as exc:
            raise MappingError(fields_spec.loc(name), f"{exc.args[0]} in {target.__name__}") from None
        rule = _coerce(compile_rule(rule_spec, fields_spec, name, env), schema.types)
        if not kind_fits(rule.kind, schema):
            raise MappingError(fields_spec.loc(name), f"{name}: a {rule.kind} value cannot fill a field of type "
                                                      f"{'/'.join(sorted(schema.types))}")
        fields.append((path, rule))
    _check_required(index, [p for p, _ in fields], where, target)
    return fields


def _coerce(rule: Compiled, types: set[str]) -> Compiled:
    """Source values are text; a plain path into a numeric or boolean field is cast, with a clear error."""
    if rule.kind is not None or "string" in types:
        return rule
    for kind in ("integer", "number", "boolean"):
        if kind in types:
            return Compiled(cast_expr(rule.expr, kind, rule.path), kind, rule.path)
    return rule


def _check_required(index: SchemaIndex, paths: list[tuple[str, ...]], where: Loc, target: type[Message]) -> None:
    covered = set(paths)
    prefixes = {p[:i] for p in paths for i in range(len(p))}
    for prefix in sorted(prefixes, key=len):
        node = index.field(prefix)
        if "array" in node.types and "object" not in node.types:
            continue
        for name in sorted(node.required):
            full = (*prefix, name)
            if full not in covered and full not in prefixes:
                raise MappingError(where, f"required field {'.'.join(full)!r} of {target.__name__} has no rule")
