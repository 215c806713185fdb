"""The DeltaV configuration derived from the reference plant, and its engineering units."""

from __future__ import annotations

import pytest

from simulators.deltav.plant import LOOPS, PHASES, UNITS, loop_by_name, phase_def
from simulators.deltav.units import eu_information, instrument_span, unit_id

pytestmark = pytest.mark.unit


def test_units_loops_and_phases_come_from_the_reference_plant() -> None:
    assert UNITS == ["SEL-101", "BR-101", "CW-101", "FF-101", "CRF-101"]
    assert [loop.name for loop in LOOPS["BR-101"]] == ["Temperature", "pH", "DissolvedOxygen", "RockingRate"]
    temperature = loop_by_name("BR-101", "TIC-101")
    assert (temperature.module, temperature.sp_tag, temperature.hysteresis) == ("BR-101/TIC-101",
                                                                                 "BR-101/TIC-101/SP", 0.05)
    assert [p.id for p in PHASES["BR-101"]] == ["PH-0301", "PH-0401", "PH-0501"]
    assert phase_def("CW-101", None).id == "PH-0601"


def test_unknown_units_values_and_phases_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown unit"):
        loop_by_name("BR-999", "Temperature")
    with pytest.raises(KeyError, match="has no process value"):
        loop_by_name("FF-101", "Temperature")
    with pytest.raises(ValueError, match="runs no phase"):
        phase_def("BR-101", "PH-0601")


def test_engineering_units_use_un_cefact_codes() -> None:
    assert unit_id("CEL") == 4408652 and unit_id("P1") == 20529 and unit_id(None) == -1
    celsius = eu_information("Cel")
    assert (celsius.UnitId, celsius.DisplayName.Text, celsius.Description.Text) == (
        4408652, "°C", "degree Celsius (UCUM Cel)")
    assert eu_information("[pH]").UnitId == -1
    span = instrument_span("[pH]", 7.0, 7.4)
    assert (span.Low, span.High) == (0.0, 14.0)
