"""Deterministic QC results: the catalog's typical value plus small noise, seeded per (seed, order, test).

The same seed and order id give the same numbers in every run and on every machine, independent of
the order in which tests are released. A forced OOS value lands clearly outside the specification so
that a flag and an OOS investigation follow, as they would in the plant.
"""

from __future__ import annotations

import random
from typing import Any

from simulators.lims.catalog import FAILING_TEXT, flag, format_value, reference_range

NOISE = 0.02  # relative standard deviation of a conforming result


def measure(test: dict[str, Any], seed: int, order_id: str, oos: bool = False) -> float | str:
    rng = random.Random(f"{seed}/{order_id}/{test['code']}")
    typical = test["typical"]
    if isinstance(typical, str):
        return FAILING_TEXT.get(test["code"], "Positive") if oos else typical
    if oos:
        return _outside(test, rng)
    value = round(rng.gauss(typical, abs(typical) * NOISE), test["decimals"])
    return value if flag(test, value) == "N" else float(typical)


def _outside(test: dict[str, Any], rng: random.Random) -> float:
    lo, hi = test.get("lo"), test.get("hi")
    value = float(lo) * rng.uniform(0.6, 0.85) if lo is not None else float(hi or 0) * rng.uniform(1.3, 1.8)
    return round(value, int(test["decimals"]))


def result_record(test: dict[str, Any], value: float | str, at: str, analyst: str) -> dict[str, Any]:
    """What the LIMS stores per reported test (also what the ORU carries)."""
    return {
        "code": test["code"], "value": value, "text": format_value(test, value),
        "type": "ST" if isinstance(value, str) else "NM", "unit": test.get("unit"),
        "range": reference_range(test), "flag": flag(test, value), "status": "F", "observed_at": at,
        "analyst": analyst,
    }


def parse_value(test: dict[str, Any], raw: Any) -> float | str:
    """A value given by a user (correction): numeric tests need a number, text tests take text."""
    if isinstance(test["typical"], str):
        return str(raw)
    try:
        return round(float(raw), int(test["decimals"]))
    except (TypeError, ValueError):
        raise ValueError(f"test {test['code']} needs a numeric value, got {raw!r}") from None
