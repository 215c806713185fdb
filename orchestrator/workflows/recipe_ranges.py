"""Is a process value outside the range its batch's master recipe sets for a critical process parameter?

The DCS alarms on its own limits, which a site may have set wider than the registered CPP ranges (or
not at all), so gxplink checks every recorded value against the recipe itself. It knows the recipe
from the MES (MasterRecipeApproved, per recipe version), which recipe a batch runs (BatchCreated)
and which parameter a tag measures (the DeltaV mapping's site binding). A value counts only when its
quality is good and its unit is the parameter's; when several steps on the unit set a range for the
parameter, the value must lie outside all of them (no step it could belong to accepts it).

This is the trigger guard of the excursion workflow: evaluated once per incoming value, off the
workflow's replay path (what it found becomes the instance's input), so it may read and cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orchestrator.engine.definitions import EventLookup
from orchestrator.workflows.types import BATCH_CREATED, MASTER_RECIPE_APPROVED

RETRY_UNKNOWN_SECONDS = 5.0  # a batch or recipe not seen yet may arrive any moment (other adapters)


@dataclass(frozen=True)
class Range:
    step_id: str
    low: float | None
    high: float | None
    unit: str

    def accepts(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def text(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "+inf" if self.high is None else f"{self.high:g}"
        return f"{low} to {high} {self.unit} (step {self.step_id})"


class RecipeRanges:
    """The guard: a callable `(envelope, lookup) -> input values | None`, with what it learnt cached.

    Recipe versions and a batch's recipe never change once known, so they are kept; what is not
    known yet is asked again after a few seconds instead of on every value.
    """

    def __init__(self, classifications: tuple[str, ...] = ("CPP",)) -> None:
        self.classifications = classifications
        self._recipe_of_batch: dict[str, tuple[str, int]] = {}
        self._steps: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._unknown_until: dict[str, float] = {}

    async def __call__(self, envelope: dict[str, Any], lookup: EventLookup) -> dict[str, Any] | None:
        data = envelope.get("data") or {}
        value, batch = data.get("value") or {}, data.get("batch_id")
        parameter, reading = value.get("parameter"), value.get("value")
        if not batch or not parameter or value.get("quality") != "good" or not isinstance(reading, int | float):
            return None
        steps = await self._recipe_steps(str(batch), lookup)
        ranges = [r for r in self._ranges(steps, str(value.get("equipment_id")), str(parameter))
                  if r.unit == value.get("unit")]
        if not ranges or any(r.accepts(float(reading)) for r in ranges):
            return None
        recipe_id, version = self._recipe_of_batch[str(batch)]
        return {"parameter": parameter, "value": float(reading), "unit": value.get("unit"),
                "ranges": [r.text() for r in ranges], "low": min((r.low for r in ranges if r.low is not None),
                                                                 default=None),
                "high": max((r.high for r in ranges if r.high is not None), default=None),
                "recipe": f"{recipe_id} v{version}"}

    def _ranges(self, steps: list[dict[str, Any]], equipment: str, parameter: str) -> list[Range]:
        return [Range(step["step_id"], p.get("low"), p.get("high"), p["unit"])
                for step in steps if step.get("equipment_id") == equipment
                for p in step.get("parameters") or ()
                if p.get("name") == parameter and p.get("classification") in self.classifications]

    async def _recipe_steps(self, batch: str, lookup: EventLookup) -> list[dict[str, Any]]:
        recipe = self._recipe_of_batch.get(batch)
        if recipe is None and self._may_ask(f"batch:{batch}"):
            for created in await lookup.events_of_types((BATCH_CREATED,), batch):
                record = (created.get("data") or {}).get("batch") or {}
                if record.get("batch_id") == batch:
                    recipe = (str(record["master_recipe_id"]), int(record["master_recipe_version"]))
                    self._recipe_of_batch[batch] = recipe
        if recipe is None:
            return []
        if recipe not in self._steps and self._may_ask(f"recipe:{recipe}"):
            for approved in await lookup.events_of_types((MASTER_RECIPE_APPROVED,), None):
                data = approved.get("data") or {}
                if (data.get("recipe_id"), data.get("version")) == recipe:
                    self._steps[recipe] = list(data.get("steps") or [])
        return self._steps.get(recipe, [])

    def _may_ask(self, what: str) -> bool:
        now = time.monotonic()
        if now < self._unknown_until.get(what, 0.0):
            return False
        self._unknown_until[what] = now + RETRY_UNKNOWN_SECONDS
        return True
