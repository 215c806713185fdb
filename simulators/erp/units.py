"""UCUM quantities in the ERP: a posting in another unit of the same dimension is converted to the
batch's base unit (as SAP converts alternative units of measure); anything else is refused.
"""

from __future__ import annotations

from simulators.erp.problems import Problem

# UCUM code -> (dimension, factor to the dimension's reference unit)
UNITS: dict[str, tuple[str, float]] = {
    "L": ("volume", 1000.0), "dL": ("volume", 100.0), "mL": ("volume", 1.0), "uL": ("volume", 0.001),
    "kg": ("mass", 1_000_000.0), "g": ("mass", 1000.0), "mg": ("mass", 1.0), "ug": ("mass", 0.001),
    "{each}": ("count", 1.0), "10*6": ("cells", 1.0), "10*9": ("cells", 1000.0),
}


def check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise Problem(422, "unknown_unit", f"unit {unit!r} is not a UCUM unit this ERP knows; use one of "
                      f"{', '.join(UNITS)}")
    return unit


def convert(quantity: float, unit: str, to_unit: str) -> float:
    """`quantity` in `unit` expressed in `to_unit`, rounded to 6 decimals like a quantity field."""
    (dim_from, f_from), (dim_to, f_to) = UNITS[check_unit(unit)], UNITS[check_unit(to_unit)]
    if dim_from != dim_to:
        raise Problem(422, "unit_mismatch", f"cannot convert {unit!r} ({dim_from}) to {to_unit!r} ({dim_to})")
    return round(quantity * f_from / f_to, 6)
