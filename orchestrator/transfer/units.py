"""Conversion between the UCUM units a cell-therapy process definition uses.

A small explicit table, not a dependency: pint does not read UCUM codes (`Cel`, `10*6/mL`,
`{copies}/{cell}`) and the UCUM-to-pint bridge on PyPI asks users to review its definitions before
trusting them. A GxP diff must be explainable factor by factor, so every factor is here to review.

The grammar is UCUM's (terms joined by `.` and `/`, prefixes, integer exponents, `10*n`, brackets,
`{annotations}` as unity). `Cel` and `[degF]` carry their offset only as a whole code (a set point
or limit); inside a compound such as `Cel/min` they are temperature differences, which have none.
Arbitrary units ([pH], [IU], [EU], [CFU]) convert only to themselves, with prefixes where metric.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

Dimension = tuple[tuple[str, int], ...]
"""Sorted (base, exponent) pairs, zero exponents dropped; () is dimensionless."""

# atom: (factor to the base units m, g, s, K, mol, rad, arbitrary ones; dimension; metric = takes prefixes)
_ATOMS: dict[str, tuple[float, dict[str, int], bool]] = {
    "m": (1.0, {"L": 1}, True), "g": (1.0, {"M": 1}, True), "s": (1.0, {"T": 1}, True),
    "K": (1.0, {"Θ": 1}, True), "mol": (1.0, {"N": 1}, True), "rad": (1.0, {"A": 1}, True),
    "L": (1e-3, {"L": 3}, True), "l": (1e-3, {"L": 3}, True),
    "min": (60.0, {"T": 1}, False), "h": (3600.0, {"T": 1}, False), "d": (86400.0, {"T": 1}, False),
    "wk": (604800.0, {"T": 1}, False), "Hz": (1.0, {"T": -1}, True),
    "Cel": (1.0, {"Θ": 1}, True), "[degF]": (5 / 9, {"Θ": 1}, False),
    "%": (0.01, {}, False), "[ppm]": (1e-6, {}, False), "deg": (math.pi / 180, {"A": 1}, False),
    "Pa": (1000.0, {"M": 1, "L": -1, "T": -2}, True), "bar": (1e8, {"M": 1, "L": -1, "T": -2}, True),
    "[psi]": (6894757.293168, {"M": 1, "L": -1, "T": -2}, False), "[g]": (9.80665, {"L": 1, "T": -2}, False),
    "U": (1e-6 / 60, {"N": 1, "T": -1}, True),
    "[pH]": (1.0, {"[pH]": 1}, False), "[IU]": (1.0, {"[IU]": 1}, True), "[iU]": (1.0, {"[IU]": 1}, True),
    "[EU]": (1.0, {"[EU]": 1}, True), "[CFU]": (1.0, {"[CFU]": 1}, True),
}
# Offsets to kelvin of the special units, applied only when the code is the bare atom.
_OFFSETS = {"Cel": 273.15, "[degF]": 459.67 * 5 / 9}
_PREFIXES = {"G": 1e9, "M": 1e6, "k": 1e3, "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6,
             "n": 1e-9, "p": 1e-12, "f": 1e-15}
_POWER_OF_TEN = re.compile(r"10[*^]([+-]?\d+)")
_WITH_EXPONENT = re.compile(r"(?P<symbol>.*?)(?P<exponent>[+-]?\d+)?")


class UnknownUnitError(ValueError):
    """A code that is not UCUM, or uses an atom this table does not define."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        super().__init__(f"unknown unit {code!r}: {reason}")


class IncompatibleUnitsError(ValueError):
    """Both codes are known but measure different things (e.g. mL and Cel)."""


@dataclass(frozen=True)
class Unit:
    """A parsed code: `value * factor + offset` is the value in base units."""

    code: str
    factor: float
    dimension: Dimension
    offset: float = 0.0


def _combine(into: dict[str, int], dims: dict[str, int], times: int) -> None:
    for base, exponent in dims.items():
        into[base] = into.get(base, 0) + exponent * times


def _atom(symbol: str, code: str) -> tuple[float, dict[str, int]]:
    if symbol in _ATOMS:
        factor, dims, _ = _ATOMS[symbol]
        return factor, dims
    for prefix, scale in sorted(_PREFIXES.items(), key=lambda item: -len(item[0])):
        rest = symbol.removeprefix(prefix)
        if rest != symbol and rest in _ATOMS and _ATOMS[rest][2]:
            return scale * _ATOMS[rest][0], _ATOMS[rest][1]
    raise UnknownUnitError(code, f"{symbol!r} is not a unit gxplink converts")


def _simple(token: str, code: str) -> tuple[float, dict[str, int]]:
    if power := _POWER_OF_TEN.fullmatch(token):
        return 10.0 ** int(power.group(1)), {}
    if token.isdigit():
        return float(token), {}
    match = _WITH_EXPONENT.fullmatch(token)
    assert match is not None  # the pattern matches any string
    factor, dims = _atom(match["symbol"], code)
    exponent = int(match["exponent"] or 1)
    return factor**exponent, {base: value * exponent for base, value in dims.items()}


class _Parser:
    """Recursive descent over UCUM's term grammar; positions are reported in errors."""

    def __init__(self, code: str) -> None:
        self.code, self.at = code, 0

    def _peek(self) -> str:
        return self.code[self.at] if self.at < len(self.code) else ""

    def _read_until(self, closing: str) -> None:
        end = self.code.find(closing, self.at)
        if end < 0:
            raise UnknownUnitError(self.code, f"unclosed {self.code[self.at]!r}")
        self.at = end + 1

    def term(self) -> tuple[float, dict[str, int]]:
        factor, times = 1.0, 1
        dims: dict[str, int] = {}
        if self._peek() == "/":
            self.at, times = self.at + 1, -1
        while True:
            part_factor, part_dims = self._component()
            factor *= part_factor**times
            _combine(dims, part_dims, times)
            if self._peek() not in (".", "/"):
                return factor, dims
            times = 1 if self._peek() == "." else -1
            self.at += 1

    def _component(self) -> tuple[float, dict[str, int]]:
        if self._peek() == "(":
            self.at += 1
            result = self.term()
            if self._peek() != ")":
                raise UnknownUnitError(self.code, f"expected ')' at position {self.at}")
            self.at += 1
            return result
        start = self.at
        while self._peek() and self._peek() not in "./(){":
            if self._peek() == "[":
                self._read_until("]")
            else:
                self.at += 1
        token = self.code[start:self.at]
        if self._peek() == "{":
            self._read_until("}")
        if not token:
            if self.at == start:
                raise UnknownUnitError(self.code, f"expected a unit at position {start}")
            return 1.0, {}  # an annotation alone, e.g. {cells}, is unity
        return _simple(token, self.code)


@lru_cache(maxsize=512)
def parse(code: str) -> Unit:
    """The unit a UCUM code stands for; `UnknownUnitError` names the part that is not known."""
    if not code or any(not 0x21 <= ord(char) <= 0x7E for char in code):
        raise UnknownUnitError(code, "UCUM codes are printable ASCII without spaces")
    parser = _Parser(code)
    factor, dims = parser.term()
    if parser.at != len(code):
        raise UnknownUnitError(code, f"unexpected {code[parser.at]!r} at position {parser.at}")
    dimension = tuple(sorted((base, exp) for base, exp in dims.items() if exp))
    return Unit(code, factor, dimension, _OFFSETS.get(code, 0.0))


def is_known(code: str) -> bool:
    try:
        parse(code)
    except UnknownUnitError:
        return False
    return True


def comparable(first: str, second: str) -> bool:
    """True when both codes are known and measure the same dimension."""
    return is_known(first) and is_known(second) and parse(first).dimension == parse(second).dimension


def convert(value: float, from_code: str, to_code: str) -> float:
    """`value` in `from_code` expressed in `to_code` (offsets applied for bare temperatures)."""
    source, target = parse(from_code), parse(to_code)
    if source.dimension != target.dimension:
        raise IncompatibleUnitsError(f"cannot convert {from_code!r} to {to_code!r}: they measure different things")
    return (value * source.factor + source.offset - target.offset) / target.factor
