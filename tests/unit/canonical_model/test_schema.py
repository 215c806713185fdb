"""JSON Schema export: valid draft 2020-12 documents of the full envelope, written deterministically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from canonical_model.registry import message_types
from canonical_model.schema import DRAFT_2020_12, export_json_schemas, json_schemas

pytestmark = pytest.mark.unit


def test_one_schema_per_message_named_after_its_ce_type() -> None:
    schemas = json_schemas()
    assert sorted(schemas) == sorted(f"{cls.ce_type()}.schema.json" for cls in message_types())
    recorded = schemas["io.gxplink.evt.lims.test_result_recorded.v1.schema.json"]
    assert recorded["$schema"] == DRAFT_2020_12
    assert recorded["$id"] == "https://schemas.gxplink.io/evt/lims/test_result_recorded/v1.json"
    assert recorded["title"] == "TestResultRecorded (io.gxplink.evt.lims.test_result_recorded.v1)"
    assert recorded["properties"]["type"]["const"] == "io.gxplink.evt.lims.test_result_recorded.v1"
    assert {"id", "source", "type", "time", "actor", "sourcesystem", "data"} <= set(recorded["required"])
    assert "TestResult" in recorded["$defs"]


def test_exported_schemas_are_valid_draft_2020_12(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path / "schemas")
    assert len(written) == len(message_types())
    assert written == sorted(written)
    for path in written:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)


def test_export_is_deterministic(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in export_json_schemas(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in export_json_schemas(tmp_path / "b")}
    assert first == second
    text = next(iter(first.values())).decode()
    assert text.endswith("}\n") and '\n  "$id"' in text  # indent 2, sorted keys
