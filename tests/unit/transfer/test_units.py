"""UCUM conversion: offsets for temperatures, prefixes, compound units, and clear refusals."""

from __future__ import annotations

import re

import pytest

from orchestrator.transfer import units

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (98.6, "[degF]", "Cel", 37.0),
    (37.0, "Cel", "K", 310.15),
    (-40.0, "Cel", "[degF]", -40.0),
    (1.0, "L", "mL", 1000.0),
    (250.0, "uL", "mL", 0.25),
    (1.0, "kg", "g", 1000.0),
    (500.0, "ug", "mg", 0.5),
    (2.0, "d", "h", 48.0),
    (90.0, "min", "h", 1.5),
    (1.0, "wk", "d", 7.0),
    (1.0, "10*6/mL", "10*3/uL", 1.0),
    (2.5, "10*6/mL", "/L", 2.5e9),
    (1.0, "10*6{cells}", "10*6", 1.0),
    (50.0, "%", "1", 0.5),
    (5.0, "{TU}/{cell}", "1", 5.0),
    (60.0, "mL/min", "L/h", 3.6),
    (0.5, "L/d", "mL/h", 500.0 / 24),
    (-1.0, "Cel/min", "K/min", -1.0),  # a rate is a difference: no offset
    (-1.0, "Cel/min", "[degF]/min", -1.8),
    (10.0, "/min", "Hz", 10.0 / 60),
    (7.2, "[pH]", "[pH]", 7.2),
    (5.0, "[EU]/mL", "[EU]/L", 5000.0),
    (1.0, "bar", "kPa", 100.0),
    (2.0, "m2", "cm2", 20000.0),
    (1.0, "m.s-2", "[g]", 1 / 9.80665),
])
def test_converts_between_units_of_one_dimension(value: float, source: str, target: str, expected: float) -> None:
    assert units.convert(value, source, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("code", "reason"), [
    ("degC", "'degC' is not a unit"),
    ("cells/mL", "'cells' is not a unit"),
    ("mL min", "printable ASCII"),
    ("", "printable ASCII"),
    ("[pH", "unclosed '['"),
    ("mL/", "expected a unit at position 3"),
    ("(mL", "expected ')'"),
    ("mh", "'mh' is not a unit"),  # hours take no prefix
])
def test_unknown_units_are_refused_naming_the_part(code: str, reason: str) -> None:
    with pytest.raises(units.UnknownUnitError, match=re.escape(reason)) as info:
        units.parse(code)
    assert info.value.code == code
    assert not units.is_known(code)


def test_units_of_different_dimensions_do_not_convert() -> None:
    assert units.comparable("mL", "L") and not units.comparable("mL", "Cel")
    assert not units.comparable("[pH]", "1")  # an arbitrary unit is only itself
    assert not units.comparable("mL", "furlong")
    with pytest.raises(units.IncompatibleUnitsError, match="'mL' to 'Cel'"):
        units.convert(1.0, "mL", "Cel")


def test_every_unit_of_the_bundled_plant_is_known() -> None:
    for code in ("Cel", "[pH]", "%", "/min", "mL/min", "Cel/min", "d", "mL", "L", "{each}", "10*6",
                 "{copies}/{cell}", "[EU]/mL", "1"):
        assert units.is_known(code), code
