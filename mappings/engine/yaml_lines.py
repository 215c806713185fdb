"""YAML loading that remembers line numbers, so a bad rule is reported as file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mappings.engine.errors import Loc, MappingError


class Node(dict[str, Any]):
    """A YAML mapping that knows the line of each key (1-based)."""

    file: str = "?"
    line: int = 0
    key_lines: dict[str, int]

    def loc(self, key: str | None = None) -> Loc:
        return Loc(self.file, self.key_lines.get(key, self.line) if key else self.line)


class _Loader(yaml.SafeLoader):
    source_name = "?"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node()
    result.file, result.line, result.key_lines = loader.source_name, node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise MappingError(Loc(loader.source_name, key_node.start_mark.line + 1), "keys must be scalars")
        key = str(key)
        if key in result:
            raise MappingError(Loc(loader.source_name, key_node.start_mark.line + 1), f"duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file; syntax errors become MappingError with the line."""
    name = display or str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(Loc(name, raw[:exc.start].count(b"\n") + 1), f"not UTF-8 text: {exc.reason} "
                                                                         f"at byte {exc.start}") from None
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: not a MarkedYAMLError, but it has a position
        line = text[:exc.position].count("\n") + 1
        raise MappingError(Loc(name, line), f"YAML: {exc.reason} (character {exc.character!r})") from None
    loader.source_name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise MappingError(Loc(name, mark.line + 1 if mark else 0), f"YAML: {exc.problem}") from None
    finally:
        loader.dispose()
