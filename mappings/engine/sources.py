"""Source formats: how a raw message is parsed, how paths into it are compiled, what a record is.

Each format turns raw bytes into a document once, then yields one context per canonical record
to produce (`repeat`), and compiles the mapping's source paths into getters on that context:
HL7 v2 segment/field/component paths, JSON pointers, XPath (SOAP, B2MML) and OPC UA browse paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from mappings.engine.errors import TranslationError
from mappings.engine.hl7 import parse_hl7
from mappings.engine.hl7_paths import Hl7Cursor, compile_hl7_path

Getter = Callable[[Any], Any]


class Source(Protocol):
    format: str

    def parse(self, raw: bytes) -> Any: ...
    def compile_path(self, path: str) -> Getter: ...
    def contexts(self, doc: Any, repeat: str | None) -> list[Any]: ...
    def subcontexts(self, ctx: Any, path: str) -> list[Any]: ...


class Hl7Source:
    format = "hl7v2"

    def parse(self, raw: bytes) -> Any:
        return parse_hl7(raw)

    def compile_path(self, path: str) -> Getter:
        return compile_hl7_path(path)

    def contexts(self, doc: Any, repeat: str | None) -> list[Any]:
        if not repeat:
            return [Hl7Cursor(doc)]
        return [Hl7Cursor(doc, i) for i in doc.indices(repeat)]

    def subcontexts(self, ctx: Hl7Cursor, path: str) -> list[Any]:
        """`+NTE`: the NTEs following the current segment (before the next of its kind); `NTE`: all of them."""
        segs, name = ctx.message.segments, path.lstrip("+*")
        if path.startswith("+") and ctx.current is not None:
            anchor, out = segs[ctx.current][0], []
            for i in range(ctx.current + 1, len(segs)):
                if segs[i][0] == anchor:
                    break
                if segs[i][0] == name:
                    out.append(Hl7Cursor(ctx.message, i))
            return out
        return [Hl7Cursor(ctx.message, i) for i in ctx.message.indices(name)]


@dataclass
class TreeCursor:
    root: Any
    current: Any


class JsonSource:
    """JSON pointers (RFC 6901) relative to the current record; `^/...` starts at the document root."""

    format = "json"

    def parse(self, raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise TranslationError("", f"not JSON: {exc}") from None

    def compile_path(self, path: str) -> Getter:
        from_root = path.startswith("^")
        tokens = _pointer_tokens(path[1:] if from_root else path)

        def get(cur: TreeCursor) -> Any:
            node = cur.root if from_root else cur.current
            for token in tokens:
                if isinstance(node, dict):
                    node = node.get(token)
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    return None
            return node
        return get

    def contexts(self, doc: Any, repeat: str | None) -> list[Any]:
        if not repeat:
            return [TreeCursor(doc, doc)]
        items = self.compile_path(repeat)(TreeCursor(doc, doc))
        if not isinstance(items, list):
            raise TranslationError(repeat, "expected a JSON array to repeat over")
        return [TreeCursor(doc, item) for item in items]

    def subcontexts(self, ctx: TreeCursor, path: str) -> list[Any]:
        items = self.compile_path(path)(ctx)
        return [TreeCursor(ctx.root, item) for item in items] if isinstance(items, list) else []


def _pointer_tokens(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer (must start with '/'): {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


class XmlSource:
    """XPath 1.0 relative to the current node; prefixes come from the mapping's `namespaces`."""

    format = "xml"
    _parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)

    def __init__(self, namespaces: dict[str, str] | None = None) -> None:
        self.namespaces = dict(namespaces or {})

    def parse(self, raw: bytes) -> Any:
        try:
            return etree.fromstring(raw, self._parser)
        except etree.XMLSyntaxError as exc:
            raise TranslationError("", f"not well-formed XML: {exc}") from None

    def compile_path(self, path: str) -> Getter:
        try:
            xpath = etree.XPath(path, namespaces=self.namespaces)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"invalid XPath {path!r}: {exc}") from None

        def get(cur: TreeCursor) -> Any:
            result = xpath(cur.current)
            if isinstance(result, list):
                values = [_xml_text(r) for r in result]
                values = [v for v in values if v not in (None, "")]
                return values if len(values) > 1 else (values[0] if values else None)
            return None if result in ("", None) else result
        return get

    def contexts(self, doc: Any, repeat: str | None) -> list[Any]:
        if not repeat:
            return [TreeCursor(doc, doc)]
        nodes = etree.XPath(repeat, namespaces=self.namespaces)(doc)
        return [TreeCursor(doc, n) for n in nodes] if isinstance(nodes, list) else []

    def subcontexts(self, ctx: TreeCursor, path: str) -> list[Any]:
        nodes = etree.XPath(path, namespaces=self.namespaces)(ctx.current)
        return [TreeCursor(ctx.root, n) for n in nodes] if isinstance(nodes, list) else []


def _xml_text(node: Any) -> Any:
    if isinstance(node, str):
        return str(node).strip()
    text = "".join(node.itertext()).strip() if hasattr(node, "itertext") else str(node)
    return text or None


class OpcUaSource:
    """OPC UA records: `{"node": <browse path>, "nodes": {<browse path>: {<Attribute>: value}}}`.

    Paths are `<browse path>#<Attribute>`, where `$node` stands for the node that triggered the
    record (a data change or event), e.g. `$node#Value`, `$node#SourceTimestamp`, `$node` (its
    browse path) or `BR-101/Temperature#EngineeringUnits`.
    """

    format = "opcua"

    def parse(self, raw: bytes) -> Any:
        doc = JsonSource().parse(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("node"), str) or not isinstance(doc.get("nodes"), dict):
            raise TranslationError("node", "an OPC UA record needs 'node' (browse path) and 'nodes'")
        return doc

    def compile_path(self, path: str) -> Getter:
        browse, _, attribute = path.partition("#")
        if not browse:
            raise ValueError(f"OPC UA path needs a browse path or $node before '#': {path!r}")

        def get(doc: dict[str, Any]) -> Any:
            node = doc["node"] if browse == "$node" else browse
            if not attribute:
                return node
            attrs = doc["nodes"].get(node)
            return attrs.get(attribute) if isinstance(attrs, dict) else None
        return get

    def contexts(self, doc: Any, repeat: str | None) -> list[Any]:
        return [doc]

    def subcontexts(self, ctx: Any, path: str) -> list[Any]:
        return []


def source_for(fmt: str, namespaces: dict[str, str] | None = None) -> Source:
    sources: dict[str, Callable[[], Source]] = {
        "hl7v2": Hl7Source, "json": JsonSource, "xml": lambda: XmlSource(namespaces), "opcua": OpcUaSource,
    }
    if fmt not in sources:
        raise ValueError(f"unknown source format {fmt!r}; use one of {', '.join(sources)}")
    return sources[fmt]()
