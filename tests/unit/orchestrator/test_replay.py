"""Replay: stored histories of real runs (the reference demo) against the current workflow code.

A change to a workflow that would make running instances take another path must fail here; it
belongs in a new version, and the old version must still replay its own histories.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.builtin import builtin_registry
from orchestrator.engine.context import WorkflowContext
from orchestrator.engine.replay import Recorded, ReplayDivergence, replay

pytestmark = pytest.mark.unit
HISTORIES = Path(__file__).resolve().parents[2] / "fixtures" / "workflow_histories"


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load(name: str) -> tuple[dict[str, Any], WorkflowContext, list[Recorded]]:
    doc = json.loads((HISTORIES / name).read_text())
    issued = {r["seq"]: r for r in doc["history"] if r["phase"] == "issued"}
    resolved = {r["seq"]: r for r in doc["history"] if r["phase"] == "resolved"}
    history = [Recorded(seq, issued[seq]["step"], issued[seq]["kind"], _time(issued[seq]["at"]),
                        resolved[seq]["payload"] if seq in resolved else None,
                        _time(resolved[seq]["at"]) if seq in resolved else None) for seq in sorted(issued)]
    ctx = WorkflowContext(doc["instance_id"], doc["workflow"], doc["version"], doc["business_key"], doc["input"],
                          _time(doc["started_at"]))
    return doc, ctx, history


@pytest.mark.requirement("URS-001", "P11-009")
@pytest.mark.parametrize(("history", "result"), [("batch_release_v1.json", "released"),
                                                 ("sample_to_result_v1.json", "in_specification"),
                                                 ("excursion_v1.json", "resumed after DEV-2026-0001"),
                                                 ("excursion_v2.json", "resumed after DEV-2026-0002")])
def test_stored_histories_replay_on_the_code_of_their_version(history: str, result: str) -> None:
    doc, ctx, recorded = load(history)
    definition = builtin_registry().get(doc["workflow"], doc["version"])
    position = replay(definition, ctx, recorded)
    assert position.finished and position.error is None
    assert position.result == result
    assert position.seq == len(recorded)


@pytest.mark.requirement("P11-009")
def test_a_changed_workflow_diverges_from_old_histories_so_it_needs_a_new_version() -> None:
    _, ctx, recorded = load("batch_release_v1.json")
    version_2 = builtin_registry().get("batch_release", 2)
    with pytest.raises(ReplayDivergence, match="results of every sample"):
        replay(version_2, ctx, recorded)


def test_a_new_instance_starts_on_the_latest_version() -> None:
    assert builtin_registry().latest("batch_release").version == 2
    assert builtin_registry().latest("excursion").version == 2
