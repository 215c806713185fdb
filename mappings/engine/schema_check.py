"""Checking a mapping's target fields against the canonical JSON Schema when it is loaded.

Unknown target fields, values whose type cannot fit, and required fields without a rule fail
fast with file and line, long before a message arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_JSON_KIND = {"string": {"string"}, "number": {"number", "integer"}, "integer": {"integer"},
              "boolean": {"boolean"}, "datetime": {"string"}, "array": {"array"}, "object": {"object"}}


@dataclass
class SchemaNode:
    """A resolved schema: its JSON types, properties, required names, array items."""

    types: set[str] = field(default_factory=set)
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None
    enum: list[Any] | None = None


class SchemaIndex:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.root, self.defs = schema, schema.get("$defs", {})

    def resolve(self, schema: dict[str, Any]) -> SchemaNode:
        node = SchemaNode()
        self._merge(schema, node)
        return node

    def _merge(self, schema: dict[str, Any], node: SchemaNode) -> None:
        if "$ref" in schema:
            self._merge(self.defs[schema["$ref"].rsplit("/", 1)[-1]], node)
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                self._merge(option, node)
        kind = schema.get("type")
        node.types |= set(kind) if isinstance(kind, list) else ({kind} if kind else set())
        if "const" in schema:
            node.enum = [*(node.enum or []), schema["const"]]
            node.types |= {_json_type(schema["const"])}
        if "enum" in schema:
            node.enum = [*(node.enum or []), *schema["enum"]]
            node.types |= {_json_type(v) for v in schema["enum"]}
        node.properties.update(schema.get("properties", {}))
        node.required |= set(schema.get("required", []))
        if "items" in schema:
            node.items = schema["items"]
        if "prefixItems" in schema and node.items is None:
            node.items = schema["prefixItems"][0]

    def field(self, path: tuple[str, ...]) -> SchemaNode:
        """The schema of a dotted target path; KeyError names the first unknown part."""
        node = self.resolve(self.root)
        for i, part in enumerate(path):
            if part.isdigit() and "array" in node.types and node.items is not None:
                node = self.resolve(node.items)  # `changes.0`: an item of the list
                continue
            if part not in node.properties:
                known = ", ".join(sorted(node.properties)) or "none"
                raise KeyError(f"unknown target field {'.'.join(path[:i + 1])!r} (known here: {known})")
            node = self.resolve(node.properties[part])
        return node


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}.get(
        type(value), "object")


def kind_fits(kind: str | None, target: SchemaNode) -> bool:
    """Whether a rule of static type `kind` can fill a field of this schema."""
    if kind is None or not target.types:
        return True
    return bool(_JSON_KIND.get(kind, set()) & target.types)
