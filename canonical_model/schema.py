"""JSON Schemas (draft 2020-12) of every canonical message, each as the full envelope.

The schemas are the language-neutral contract for consumers that are not written in Python; they
are generated from the pydantic models so the two cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from canonical_model.envelope import envelope_type
from canonical_model.messages import Message
from canonical_model.registry import message_types

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(cls: type[Message]) -> str:
    """e.g. `io.gxplink.evt.lims.test_result_recorded.v1.schema.json`."""
    return f"{cls.ce_type()}.schema.json"


def envelope_schema(cls: type[Message]) -> dict[str, Any]:
    """The JSON Schema of an envelope carrying `cls`, with `type` pinned to its CloudEvents type."""
    schema = envelope_type(cls).model_json_schema()
    schema["properties"]["type"]["const"] = cls.ce_type()
    return {
        "$schema": DRAFT_2020_12,
        "$id": cls.schema_id(),
        **schema,
        "title": f"{cls.__name__} ({cls.ce_type()})",
        "description": _first_line(cls.__doc__) or schema.get("description", ""),
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every registered message type."""
    return {schema_file_name(cls): envelope_schema(cls) for cls in message_types()}


def export_json_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory` (created if missing); returns the written paths, sorted."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in sorted(json_schemas().items()):
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc and doc.strip() else ""
