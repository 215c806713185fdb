"""Value transforms used by field rules: types, date/times with time zones, UCUM unit conversion."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HL7_TS = re.compile(
    r"^(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?(?:\.(?P<f>\d{1,4}))?"
    r"(?P<tz>[+-]\d{4})?$"
)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_hl7_datetime(text: str, default_tz: ZoneInfo) -> datetime:
    """HL7 TS/DTM at any precision (YYYY to YYYYMMDDHHMMSS.SSSS) with optional +/-ZZZZ offset, in UTC.

    A value without an offset is local time of the sending site (`default_tz`), as HL7 specifies
    when MSH-7 carries none; a date without a time is midnight of that day.
    """
    m = _HL7_TS.match(text.strip().split("^")[0])
    if not m:
        raise ValueError(f"not an HL7 TS/DTM value: {text!r}")
    fraction = m["f"] or ""
    local = datetime(
        int(m["y"]), int(m["mo"] or 1), int(m["d"] or 1), int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0),
        int(fraction.ljust(6, "0")) if fraction else 0,
    )
    if m["tz"]:
        sign = 1 if m["tz"][0] == "+" else -1
        offset = timedelta(hours=int(m["tz"][1:3]), minutes=int(m["tz"][3:5]))
        return (local - sign * offset).replace(tzinfo=UTC)
    return local.replace(tzinfo=default_tz).astimezone(UTC)


def parse_iso_datetime(text: str, default_tz: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def parse_datetime(value: object, style: str, default_tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=default_tz).astimezone(UTC)
    text = str(value)
    if style == "hl7":
        return parse_hl7_datetime(text, default_tz)
    if style == "iso":
        return parse_iso_datetime(text, default_tz)
    return datetime.strptime(text, style).replace(tzinfo=default_tz).astimezone(UTC)


def cast(value: object, kind: str) -> object:
    if kind == "string":
        return str(value)
    if kind == "number":
        number = float(str(value).strip())
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {value!r}")
        return number
    if kind == "integer":
        return int(str(value).strip())
    if kind == "boolean":
        text = str(value).strip().lower()
        if text in ("true", "y", "yes", "1", "t"):
            return True
        if text in ("false", "n", "no", "0", "f"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    raise ValueError(f"unknown type {kind!r}")


# UCUM conversions gxplink knows: (from, to) -> (factor, offset), i.e. to = from * factor + offset.
_LINEAR: dict[tuple[str, str], tuple[float, float]] = {
    ("[degF]", "Cel"): (5 / 9, -32 * 5 / 9),
    ("K", "Cel"): (1.0, -273.15),
    ("Cel", "K"): (1.0, 273.15),
    ("g/L", "mg/mL"): (1.0, 0.0),
    ("mg/L", "ug/mL"): (1.0, 0.0),
    ("mg/dL", "mg/L"): (10.0, 0.0),
    ("g/dL", "g/L"): (10.0, 0.0),
    ("%", "1"): (0.01, 0.0),
    ("1", "%"): (100.0, 0.0),
    ("10*3/uL", "10*6/mL"): (1.0, 0.0),
    ("10*6/L", "10*3/mL"): (1.0, 0.0),
    ("/uL", "10*3/mL"): (1.0, 0.0),
    ("L", "mL"): (1000.0, 0.0),
    ("mL", "L"): (0.001, 0.0),
    ("uL", "mL"): (0.001, 0.0),
    ("h", "min"): (60.0, 0.0),
    ("min", "s"): (60.0, 0.0),
    ("d", "h"): (24.0, 0.0),
    ("kPa", "mm[Hg]"): (7.50062, 0.0),
    ("mm[Hg]", "kPa"): (0.133322, 0.0),
}


def convert_unit(value: float, source: str, target: str) -> float:
    """Convert between UCUM codes; an unknown pair is refused rather than guessed."""
    if source == target:
        return value
    if (source, target) in _LINEAR:
        factor, offset = _LINEAR[(source, target)]
        return value * factor + offset
    if (target, source) in _LINEAR:
        factor, offset = _LINEAR[(target, source)]
        return (value - offset) / factor
    raise ValueError(f"no UCUM conversion from {source!r} to {target!r}")
