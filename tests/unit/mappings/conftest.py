"""Helpers to compile small mappings from YAML text in a temporary mappings root."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mappings.engine.catalog import MAPPINGS_ROOT, Mapping, load_mapping
from mappings.engine.code_tables import load_code_tables

CompileMapping = Callable[..., Mapping]


@pytest.fixture
def compile_mapping(tmp_path: Path) -> CompileMapping:
    """`compile_mapping(yaml_text, system="lims")` with the shipped code tables."""
    root = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_ROOT / "code_tables", root / "code_tables")

    def compile_(text: str, system: str = "lims", name: str = "probe") -> Mapping:
        path = root / system / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return load_mapping(path, root, load_code_tables(root / "code_tables"))
    return compile_
