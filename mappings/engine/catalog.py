"""All mappings of an installation, loaded and compiled once, and chosen per message.

Layout: `mappings/<system>/<name>.yaml` with `<name>.golden.yaml` beside it, and code tables in
`mappings/code_tables/<site>/`. A mapping's name is `<system>/<name>`; its reference in events is
`<system>/<name>@<version>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canonical_model.base import SYSTEMS
from canonical_model.registry import types_by_ce_type
from mappings.engine.code_tables import CodeTable, load_code_tables
from mappings.engine.conditions import compile_condition
from mappings.engine.errors import Loc, MappingError, TranslationError
from mappings.engine.hl7 import parse_hl7
from mappings.engine.inbound import InboundMapping, compile_inbound
from mappings.engine.outbound import OutboundMapping, compile_outbound
from mappings.engine.rules import RuleEnv, compile_rule
from mappings.engine.sources import source_for
from mappings.engine.transforms import zone
from mappings.engine.yaml_lines import Node, load_yaml

MAPPINGS_ROOT = Path(__file__).resolve().parent.parent
Mapping = InboundMapping | OutboundMapping


@dataclass
class Catalog:
    root: Path
    tables: dict[str, CodeTable]
    mappings: dict[str, Mapping] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def get(self, name: str) -> Mapping:
        if name not in self.mappings:
            raise KeyError(f"no mapping {name!r}; known: {', '.join(sorted(self.mappings))}")
        return self.mappings[name]

    def inbound_for(self, system: str) -> list[InboundMapping]:
        return [m for m in self.mappings.values() if isinstance(m, InboundMapping) and m.system == system]

    def select(self, system: str, raw: bytes) -> InboundMapping:
        """The inbound mapping of `system` that this message is for (for HL7: MSH-9 and MSH-12)."""
        candidates = self.inbound_for(system)
        if not candidates:
            raise TranslationError("", f"no inbound mappings for system {system!r}")
        if candidates[0].env.source.format == "hl7v2":
            return _select_hl7(candidates, raw)
        for mapping in candidates:
            if mapping.matches(raw):
                return mapping
        raise TranslationError("", f"no {system} mapping matches this input; have {[m.ref for m in candidates]}")


def _select_hl7(candidates: list[InboundMapping], raw: bytes) -> InboundMapping:
    message = parse_hl7(raw)
    kind, version = message.message_type, message.version
    offered = []
    for mapping in candidates:
        source = mapping.spec["source"]
        versions = [str(v) for v in source.get("versions", [])]
        offered.append(f"{source.get('message')} v{'/'.join(versions) or 'any'}")
        if source.get("message") == kind and (not versions or version in versions):
            return mapping
    raise TranslationError("MSH-9", f"no mapping for {kind or '(empty MSH-9)'} v{version or '?'}; "
                                    f"mappings exist for {', '.join(sorted(offered))}")


def load_catalog(root: Path = MAPPINGS_ROOT, site: str = "default") -> Catalog:
    """Load and compile every mapping; the first error stops loading (see `check_catalog` for all)."""
    catalog, errors = _load(root, site, stop_at_first=True)
    if errors:
        raise errors[0]
    return catalog


def check_catalog(root: Path = MAPPINGS_ROOT, site: str = "default") -> tuple[Catalog, list[MappingError]]:
    return _load(root, site, stop_at_first=False)


def mapping_files(root: Path) -> list[Path]:
    return [p for system in SYSTEMS for p in sorted((root / system).glob("*.yaml"))
            if not p.name.endswith(".golden.yaml")]


def _load(root: Path, site: str, stop_at_first: bool) -> tuple[Catalog, list[MappingError]]:
    errors: list[MappingError] = []
    try:
        catalog = Catalog(root, load_code_tables(root / "code_tables", site))
    except MappingError as exc:
        return Catalog(root, {}), [exc]
    for path in mapping_files(root):
        try:
            mapping = load_mapping(path, root, catalog.tables)
        except MappingError as exc:
            errors.append(exc)
            if stop_at_first:
                break
            continue
        name = mapping.ref.split("@")[0]
        if name in catalog.mappings:
            errors.append(MappingError(Loc(str(path), 1), f"mapping name {name!r} is used twice"))
        catalog.mappings[name], catalog.files[name] = mapping, path
    return catalog, errors


def load_mapping(path: Path, root: Path, tables: dict[str, CodeTable]) -> Mapping:
    display = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    spec = load_yaml(path, display)
    if not isinstance(spec, Node):
        raise MappingError(Loc(display, 1), "a mapping file is a YAML mapping")
    system = path.parent.name
    name = str(spec.get("mapping", f"{system}/{path.stem}"))
    if not name.startswith(f"{system}/"):
        raise MappingError(spec.loc("mapping"), f"mapping name must start with {system}/ (its folder)")
    version = spec.get("version")
    if not isinstance(version, int) or version < 1:
        raise MappingError(spec.loc("version"), "version: a positive integer is required (mappings are versioned)")
    ref = f"{name}@{version}"
    direction = spec.get("direction", "inbound")
    if direction == "outbound":
        return compile_outbound(ref, system, spec, tables, _timezone(spec))
    if direction != "inbound":
        raise MappingError(spec.loc("direction"), "direction: inbound or outbound")
    source = _section(spec, "source")
    namespaces = source.get("namespaces")
    if namespaces is not None and not (isinstance(namespaces, Node) and all(
            prefix and isinstance(uri, str) and uri for prefix, uri in namespaces.items())):
        raise MappingError(source.loc("namespaces"), "namespaces: a mapping of prefix -> namespace URI "
                                                     "(XPath 1.0 has no default namespace)")
    try:
        env = RuleEnv(source_for(str(source.get("format")), namespaces), tables, _timezone(spec), lambda ctx, p: [])
    except ValueError as exc:
        raise MappingError(source.loc("format"), str(exc)) from None
    env.subcontexts = env.source.subcontexts
    target = _section(spec, "target")
    if not isinstance(target.get("variants", []), list):
        raise MappingError(target.loc("variants"), "variants: a list of {when: <condition>, type: ..., "
                                                   "schema_version: N}")
    variants = []
    for variant in target.get("variants", []):
        if not isinstance(variant, Node) or "when" not in variant:
            raise MappingError(target.loc("variants"),
                               "each variant is {when: <condition>, type: ..., schema_version: N}")
        variants.append((variant["when"], _target_type(variant)))
    mapping = compile_inbound(ref, system, spec, env, _target_type(target), variants)
    if "match" in source:
        mapping.match = compile_condition(source["match"], source,
                                          lambda s, p: compile_rule(s, p, "match", env).expr)
    return mapping


def _section(spec: Node, key: str) -> Node:
    section = spec.get(key)
    if not isinstance(section, Node):
        raise MappingError(spec.loc(key), f"{key}: a mapping is required")
    return section


def _timezone(spec: Node) -> Any:
    try:
        return zone(str(spec.get("timezone", "UTC")))
    except ValueError as exc:
        raise MappingError(spec.loc("timezone"), str(exc)) from None


def _target_type(target: Node) -> Any:
    ce_type = f"{target.get('type')}.v{target.get('schema_version')}"
    types = types_by_ce_type()
    if ce_type not in types:
        raise MappingError(target.loc("type"), f"unknown canonical type {ce_type!r} (type + schema_version)")
    return types[ce_type]
