"""The LIMS test catalog and specification, seeded from the reference plant's QC release panel.

Orders may name a test by its LIMS code (any coding system, e.g. `VIAB^Viability^L`), by LOINC
(`33825-6^...^LN`, first or alternate triplet), or the whole release panel (`CART19-REL`).
"""

from __future__ import annotations

from typing import Any

from simulators.reference import PRODUCT, RELEASE_TESTS, SPECIFICATION

PANEL = {"code": "CART19-REL", "name": f"{PRODUCT['code']} release panel"}
LIMIT_FIELDS = ("unit", "lo", "hi", "text_spec")
UNIT_TEXT = {"%": "percent", "{copies}/{cell}": "copies per cell", "10*6": "million cells",
             "[EU]/mL": "endotoxin units per milliliter"}
FAILING_TEXT = {"STER": "Growth detected", "MYCO": "Detected"}
_DECIMALS = {"%": 1, "10*6": 0}


def seed_catalog() -> dict[str, Any]:
    """What the LIMS holds as master data: tests, the panel, the approved release specification (whose limits
    results are judged by, kept on the tests) and every specification version and method it was given."""
    tests = {t["code"]: {**t, "decimals": _DECIMALS.get(t["unit"] or "", 2)} for t in RELEASE_TESTS}
    limits = {t["code"]: {k: t.get(k) for k in LIMIT_FIELDS} for t in RELEASE_TESTS}
    return {"tests": tests, "panel": {**PANEL, "tests": list(tests)},
            "specification": {k: SPECIFICATION[k] for k in ("id", "version", "product")},
            "specifications": {SPECIFICATION["id"]: {"id": SPECIFICATION["id"], "versions": {
                str(SPECIFICATION["version"]): {"limits": limits}}}},
            "methods": {}}


def new_test(code: str, name: str, limit: dict[str, Any]) -> dict[str, Any]:
    """A test first defined by a master file record, with a typical value its limits accept."""
    unit = limit.get("unit")
    return {"code": code, "loinc": None, "analyte": name, **limit, "method": None, "method_id": None,
            "typical": typical(limit), "decimals": _DECIMALS.get(unit or "", 2)}


def typical(limit: dict[str, Any]) -> float | str:
    """What a conforming sample measures: inside the limits (the criterion itself for a text test)."""
    if limit.get("text_spec") and limit.get("lo") is None and limit.get("hi") is None:
        return str(limit["text_spec"])
    lo, hi = (float(x) if x is not None else None for x in (limit.get("lo"), limit.get("hi")))
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return lo * 1.25 if lo > 0 else lo + 1
    if hi is not None:
        return hi * 0.4 if hi > 0 else hi - 1
    return 1.0


def resolve(catalog: dict[str, Any], code: str, system: str = "") -> list[str] | None:
    """Test codes an ordered code stands for (several for the panel); None when the catalog lacks it."""
    code = code.strip()
    if code.upper() == catalog["panel"]["code"]:
        return list(catalog["panel"]["tests"])
    tests = catalog["tests"]
    if system.upper() != "LN" and code.upper() in tests:
        return [code.upper()]
    return next(([c] for c, t in tests.items() if t.get("loinc") and t["loinc"] == code), None)


def reference_range(test: dict[str, Any]) -> str:
    """OBX-7 text: 'lo-hi', '>=lo' or '<=hi' (inclusive limits, as the specification states them)."""
    if test.get("text_spec"):
        return str(test["text_spec"])
    lo, hi = test.get("lo"), test.get("hi")
    if lo is not None and hi is not None:
        return f"{_num(lo)}-{_num(hi)}"
    if lo is None and hi is None:
        return ""  # a test defined without limits
    return f">={_num(lo)}" if lo is not None else f"<={_num(hi or 0)}"


def flag(test: dict[str, Any], value: float | str) -> str:
    """OBX-8 (HL7 table 0078): N normal, L below, H above, A abnormal text result."""
    if isinstance(value, str):
        return "N" if value.strip().lower() == str(test.get("text_spec", "")).lower() else "A"
    if test.get("lo") is not None and value < test["lo"]:
        return "L"
    if test.get("hi") is not None and value > test["hi"]:
        return "H"
    return "N"


def format_value(test: dict[str, Any], value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.{test['decimals']}f}"


def _num(x: float) -> str:
    return f"{x:g}"
