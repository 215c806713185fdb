"""The committed example envelopes under `examples/v<N>/`: the backward-compatibility contract.

Each file is a valid envelope of one message type as it stood at schema version N; they are data,
never regenerated from newer code, so contract tests, simulators and consumers can rely on them.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

EXAMPLES = "examples"


def example_versions() -> list[int]:
    """Schema versions that have an examples folder, ascending."""
    root = files("canonical_model").joinpath(EXAMPLES)
    names = [d.name for d in root.iterdir() if d.is_dir()]
    return sorted(int(name[1:]) for name in names if name.startswith("v") and name[1:].isdigit())


def example_files(version: int) -> dict[str, Traversable]:
    """CloudEvents type -> example file, for one schema version."""
    folder = files("canonical_model").joinpath(EXAMPLES, f"v{version}")
    return {
        f.name.removesuffix(".json"): f
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json")
    }


def load_example(version: int, ce_type: str) -> dict[str, Any]:
    """The example envelope of `ce_type` at `version`, as parsed JSON."""
    doc = json.loads(example_files(version)[ce_type].read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"example {ce_type} v{version} is not a JSON object")
    return doc
