"""Code tables: data files, versioned per site, that translate one system's codes into canonical ones.

    mappings/code_tables/<site>/<name>.yaml:
      table: lims_test_codes
      version: 2
      description: ...
      entries: {VIAB: VIABILITY, CD3: CD3_PCT, ...}

A site folder overrides the `default` folder table by table, so another site's LIMS build
changes data, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mappings.engine.errors import Loc, MappingError
from mappings.engine.yaml_lines import Node, load_yaml


@dataclass(frozen=True)
class CodeTable:
    name: str
    version: int
    entries: dict[str, object]
    file: str

    def lookup(self, code: object) -> object | None:
        return self.entries.get(str(code))


def load_code_tables(root: Path, site: str = "default") -> dict[str, CodeTable]:
    tables: dict[str, CodeTable] = {}
    for folder in [root / "default", *([root / site] if site != "default" else [])]:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            table = _load(path, root)
            tables[table.name] = table
    return tables


def _load(path: Path, root: Path) -> CodeTable:
    display = str(path.relative_to(root.parent))
    doc = load_yaml(path, display)
    if not isinstance(doc, Node):
        raise MappingError(Loc(display, 1), "a code table is a YAML mapping with table, version and entries")
    for key in ("table", "version", "entries"):
        if key not in doc:
            raise MappingError(doc.loc(), f"code table lacks {key!r}")
    if not isinstance(doc["entries"], dict) or not isinstance(doc["version"], int):
        raise MappingError(doc.loc("entries"), "entries must be a mapping and version an integer")
    return CodeTable(str(doc["table"]), int(doc["version"]), {str(k): v for k, v in doc["entries"].items()}, display)
