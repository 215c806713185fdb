"""Engineering units as OPC UA Part 8 wants them: EUInformation with UN/CEFACT (UNECE Rec. 20) codes.

The reference plant writes units in UCUM; DeltaV's OPC UA server publishes EUInformation, so each
UCUM unit maps to its UNECE common code (UnitId = the code's ASCII bytes, Part 8 5.6.3).
"""

from __future__ import annotations

from asyncua import ua

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"

# UCUM -> (UNECE common code or None, display name, description)
_UNITS: dict[str, tuple[str | None, str, str]] = {
    "Cel": ("CEL", "°C", "degree Celsius"),
    "[pH]": (None, "pH", "pH value (no UN/CEFACT code)"),
    "%": ("P1", "%", "percent"),
    "/min": ("C94", "1/min", "reciprocal minute"),
    "mL/min": ("41", "mL/min", "millilitre per minute"),
}

# Instrument span (EURange of a PV): what the transmitter can measure, wider than any alarm limit.
_SPANS: dict[str, tuple[float, float]] = {
    "Cel": (-150.0, 150.0), "[pH]": (0.0, 14.0), "%": (0.0, 100.0), "/min": (0.0, 60.0), "mL/min": (0.0, 500.0),
}


def unit_id(code: str | None) -> int:
    """Part 8: UnitId is the UN/CEFACT code's characters packed into an Int32; -1 when there is none."""
    if not code:
        return -1
    value = 0
    for char in code:
        value = (value << 8) | ord(char)
    return value


def eu_information(ucum: str) -> ua.EUInformation:
    code, display, description = _UNITS.get(ucum, (None, ucum, ucum))
    return ua.EUInformation(NamespaceUri=UNECE_NAMESPACE, UnitId=unit_id(code), DisplayName=ua.LocalizedText(display),
                            Description=ua.LocalizedText(f"{description} (UCUM {ucum})"))


def instrument_span(ucum: str, lo: float, hi: float) -> ua.Range:
    low, high = _SPANS.get(ucum, (lo - (hi - lo), hi + (hi - lo)))
    return ua.Range(Low=min(low, lo), High=max(high, hi))
