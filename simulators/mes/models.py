"""Request bodies of the MES API. Strict (unknown fields are refused) and bounded, as an MES
validates data entered into a GMP record: ids are plain tokens, texts hold no control characters, units
are UCUM codes and numbers are finite.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator


def _printable(value: str) -> str:
    """Refuse what neither a JSON record store nor a BatchML export can hold (controls, lone surrogates)."""
    for ch in value:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            raise ValueError(f"contains the unsupported character U+{code:04X}")
    return value


Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                          examples=["CART-2026-0001"])]
UserId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                              examples=["jdoe"], description="MES user id; the interface account if omitted")]
Text = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"),
                 AfterValidator(_printable)]
Ucum = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9\[\]{}%/.*^'+-]+$",
                            description="UCUM unit code", examples=["mL"])]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Amount = Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e9)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quantity(Body):
    value: Amount
    unit: Ucum


class BatchCreate(Body):
    batch_id: Id | None = Field(default=None, description="Batch id; generated (e.g. CART-2026-0001) if omitted")
    master_batch_record_id: Id = Field(default="MR-CART19", description="Master batch record to execute")
    planned_quantity: Quantity | None = Field(default=None, description="Defaults to the master batch record's")
    user: UserId | None = None


class Transition(Body):
    action: Literal["release", "start", "hold", "resume", "complete", "abort", "cancel"]
    reason: Text | None = Field(default=None, description="Required for hold, resume, abort and cancel")
    user: UserId | None = None


class Actor(Body):
    user: UserId | None = None


class ParameterValue(Body):
    name: Text = Field(max_length=200, description="Parameter name as in the master batch record")
    value: Number
    unit: Ucum
    reason: Text | None = Field(default=None, description="Required to correct a recorded value")
    user: UserId | None = None


class SignOff(Body):
    user: UserId = Field(description="The signing person (an MES user, not the interface account)")
    meaning: Literal["performed", "verified", "reviewed"]
    comment: Text | None = None


class Consumption(Body):
    lot: Id
    material: Id
    quantity: Amount
    unit: Ucum
    step_id: Id | None = Field(default=None, description="Step dispensing the material; it must be in progress")
    user: UserId | None = None


class SamplePull(Body):
    sample_id: Id | None = Field(default=None, description="Generated if omitted")
    type: Literal["in_process", "release", "retain", "stability"]
    test_codes: list[Id] = Field(min_length=1, max_length=20, description="LIMS test codes, e.g. VIAB")
    step_id: Id | None = None
    pulled_by: UserId
    pulled_at: AwareDatetime | None = Field(default=None, description="Defaults to now")
    quantity: Quantity | None = None


class QcResult(Body):
    test_code: Id
    sample_id: Id | None = None
    value: Number | None = None
    text: Text | None = Field(default=None, max_length=200)
    unit: Ucum | None = None
    conforms: bool = Field(description="Whether the result meets the specification")

    @model_validator(mode="after")
    def _one_result(self) -> QcResult:
        if (self.value is None) == (self.text is None):
            raise ValueError("give exactly one of value (numeric result) or text (qualitative result)")
        return self


class QcSummary(Body):
    results: list[QcResult] = Field(min_length=1, max_length=50)
    lims_reference: Id | None = Field(default=None, description="LIMS order or report id")
    user: UserId | None = None


class ExternalReference(Body):
    system: Id = Field(description="Owning system, e.g. QMS, ERP, LIMS", examples=["QMS"])
    type: Id = Field(description="Record type there, e.g. deviation, production_order", examples=["deviation"])
    reference: Id = Field(description="Record id in that system", examples=["DEV-2026-0012"])
    description: Text | None = Field(default=None, max_length=500)
    user: UserId | None = None


class LotStatusChange(Body):
    status: Literal["released", "quarantine", "rejected", "blocked"]
    reason: Text
    user: UserId | None = None
