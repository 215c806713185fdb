"""Building blocks shared by every canonical type.

Canonical records are facts exchanged between systems, so they are frozen and reject unknown
fields: a typo in a mapping must fail loudly instead of silently dropping data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SystemName = Literal["mes", "lims", "qms", "erp", "deltav"]
"""The legacy systems gxplink connects."""

SourceSystem = Literal["mes", "lims", "qms", "erp", "deltav", "gxplink"]
"""Where a record originated: one of the legacy systems, or gxplink itself (workflows, signatures)."""

SYSTEMS: tuple[SystemName, ...] = ("mes", "lims", "qms", "erp", "deltav")


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be timezone-aware (naive datetimes are ambiguous in an audit trail)")
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_require_utc)]
"""A timezone-aware datetime, normalised to UTC; naive values are rejected."""

_UCUM_BRACKETS = {"[": "]", "{": "}", "(": ")"}


def _check_ucum(code: str) -> str:
    # The pattern (printable ASCII, no spaces) is also in the JSON Schema; bracket balance cannot be.
    stack: list[str] = []
    for char in code:
        if char in _UCUM_BRACKETS:
            if stack and stack[-1] in "[{":
                raise ValueError(f"UCUM code {code!r}: brackets cannot nest inside [] or {{}}")
            stack.append(char)
        elif char in _UCUM_BRACKETS.values() and (not stack or _UCUM_BRACKETS[stack.pop()] != char):
            raise ValueError(f"UCUM code {code!r}: unbalanced {char!r}")
    if stack:
        raise ValueError(f"UCUM code {code!r}: unclosed {stack[-1]!r}")
    return code


UcumCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Unit as a case-sensitive UCUM code, e.g. 'Cel', '[pH]', '%', '10*6/mL'",
        examples=["Cel", "[pH]", "%", "10*6/mL"],
    ),
    AfterValidator(_check_ucum),
]

Identifier = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
"""A business identifier (batch, lot, sample id): non-empty, no surrounding whitespace."""


class CanonicalModel(BaseModel):
    """Base of every canonical type: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    # TestOrder, TestResult... are domain names, not pytest test classes: keep pytest from collecting them.
    __test__ = False


class Quantity(CanonicalModel):
    """A measured or specified amount; the unit is always a UCUM code."""

    value: float = Field(description="Numeric value", allow_inf_nan=False)
    unit: UcumCode


class TimeWindow(CanonicalModel):
    """A closed interval of time, e.g. the window of process data a deviation refers to."""

    start: UtcDateTime = Field(description="Start of the window (inclusive, UTC)")
    end: UtcDateTime = Field(description="End of the window (inclusive, UTC); not before start")

    @model_validator(mode="after")
    def _start_not_after_end(self) -> TimeWindow:
        if self.start > self.end:
            raise ValueError("end: must not be before start")
        return self
