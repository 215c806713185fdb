"""The recipe-range guard of the excursion workflow, on events held in memory."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.workflows import recipe_ranges
from orchestrator.workflows.recipe_ranges import RecipeRanges
from orchestrator.workflows.types import BATCH_CREATED, MASTER_RECIPE_APPROVED

pytestmark = pytest.mark.unit


def step(step_id: str, low: float | None, high: float | None, classification: str = "CPP") -> dict[str, Any]:
    return {"step_id": step_id, "equipment_id": "BR-101", "parameters": [
        {"name": "Temperature", "unit": "Cel", "low": low, "high": high, "classification": classification}]}


class Inbox:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.asked = 0

    async def events_of_types(self, types: tuple[str, ...], correlationid: str | None) -> list[dict[str, Any]]:
        self.asked += 1
        return [e for e in self.events if e["type"] in types and correlationid in (None, e.get("correlationid"))]

    def recipe(self, *steps: dict[str, Any]) -> None:
        self.events.append({"type": MASTER_RECIPE_APPROVED, "data": {"recipe_id": "MR", "version": 1,
                                                                     "steps": list(steps)}})
        self.events.append({"type": BATCH_CREATED, "correlationid": "B1", "data": {"batch": {
            "batch_id": "B1", "master_recipe_id": "MR", "master_recipe_version": 1}}})


def reading(value: float, **changes: Any) -> dict[str, Any]:
    data = {"batch_id": "B1", "value": {"tag": "BR-101/TIC-101/PV", "equipment_id": "BR-101", "value": value,
                                        "unit": "Cel", "quality": "good", "parameter": "Temperature", **changes}}
    return {"data": data}


@pytest.mark.requirement("URS-002")
async def test_only_a_value_no_step_of_the_unit_accepts_is_an_excursion() -> None:
    inbox, guard = Inbox(), RecipeRanges()
    inbox.recipe(step("PH-0301", 36.0, 37.0), step("PH-0501", 36.5, 37.5), step("PH-0601", 2.0, 8.0, "KPP"))
    assert await guard(reading(37.4), inbox) is None  # inside the Expand range
    assert await guard(reading(5.0), inbox) is not None  # a KPP's range accepting it excuses nothing
    found = await guard(reading(35.2), inbox)
    assert found is not None and found["low"] == 36.0 and found["high"] == 37.5 and found["recipe"] == "MR v1"
    assert found["ranges"] == ["36 to 37 Cel (step PH-0301)", "36.5 to 37.5 Cel (step PH-0501)"]


async def test_an_open_ended_range_checks_its_one_limit() -> None:
    inbox, guard = Inbox(), RecipeRanges()
    inbox.recipe(step("PH-0801", None, -80.0))
    assert await guard(reading(-120.0), inbox) is None
    found = await guard(reading(-70.0), inbox)
    assert found is not None and found["ranges"] == ["-inf to -80 Cel (step PH-0801)"] and found["low"] is None


@pytest.mark.parametrize("changes", [{"quality": "bad"}, {"unit": "[degF]"}, {"parameter": None},
                                     {"equipment_id": "BR-102"}])
async def test_values_that_cannot_be_compared_are_not_excursions(changes: dict[str, Any]) -> None:
    inbox, guard = Inbox(), RecipeRanges()
    inbox.recipe(step("PH-0501", 36.5, 37.5))
    assert await guard(reading(45.0, **changes), inbox) is None


async def test_an_unknown_batch_is_asked_for_again_only_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, guard = Inbox(), RecipeRanges()
    clock = [1000.0]
    monkeypatch.setattr(recipe_ranges.time, "monotonic", lambda: clock[0])
    assert await guard(reading(45.0), inbox) is None
    assert await guard(reading(45.0), inbox) is None and inbox.asked == 1  # not on every value
    inbox.recipe(step("PH-0501", 36.5, 37.5))
    clock[0] += recipe_ranges.RETRY_UNKNOWN_SECONDS + 0.1
    assert await guard(reading(45.0), inbox) is not None
    asked = inbox.asked
    assert await guard(reading(46.0), inbox) is not None and inbox.asked == asked  # known now: cached
