"""Laboratory test results as the LIMS reports them (HL7 v2 OBX-shaped: value, unit, range, flag, status).

A result is immutable once final; a correction is a new result with status `corrected` that names
the result it replaces and says why, so the audit trail keeps both (21 CFR 211.194).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, UcumCode, UtcDateTime

ResultStatus = Literal["preliminary", "final", "corrected", "cancelled"]
AbnormalFlag = Literal["N", "L", "H", "LL", "HH", "A"]
"""HL7 v2 table 0078 subset: normal, low, high, critically low/high, abnormal (non-numeric)."""


class TestResult(CanonicalModel):
    """One reported value for one analyte on one sample."""

    result_id: Identifier = Field(description="Result id in the LIMS")
    order_id: Identifier = Field(description="Test order the result answers")
    sample_id: Identifier = Field(description="Sample tested")
    batch_id: Identifier | None = Field(default=None, description="Batch the sample came from")
    analyte: str = Field(min_length=1, description="Analyte or test code, e.g. 'VIABILITY', 'CD3_PCT', 'VCN'")
    method: str | None = Field(default=None, min_length=1, description="Analytical method id, e.g. TM-VCN-ddPCR")
    value: float | None = Field(default=None, allow_inf_nan=False, description="Numeric result; needs `unit`")
    text_value: str | None = Field(default=None, min_length=1, description="Text result, e.g. 'No growth'")
    unit: UcumCode | None = Field(default=None, description="UCUM unit of `value` and the limits")
    spec_low: float | None = Field(default=None, allow_inf_nan=False, description="Lower specification limit")
    spec_high: float | None = Field(default=None, allow_inf_nan=False, description="Upper specification limit")
    status: ResultStatus = Field(description="preliminary, final, corrected or cancelled")
    out_of_specification: bool = Field(description="True if the result fails its specification (OOS)")
    abnormal_flag: AbnormalFlag | None = Field(default=None, description="HL7 abnormal flag (OBX-8)")
    observed_at: UtcDateTime = Field(description="When the analysis was performed")
    performed_by: Identifier = Field(description="User id of the analyst")
    corrects_result_id: Identifier | None = Field(default=None, description="Result this one corrects")
    correction_reason: str | None = Field(default=None, min_length=1, description="Why the result was corrected")
    comments: tuple[str, ...] = Field(default=(), description="Analyst comments (HL7 NTE)")

    @model_validator(mode="after")
    def _check_rules(self) -> TestResult:
        if self.value is None and self.text_value is None and self.status != "cancelled":
            raise ValueError("value or text_value: required unless the result is cancelled")
        if self.value is not None and self.unit is None:
            raise ValueError("unit: required when value is numeric")
        if self.spec_low is not None and self.spec_high is not None and self.spec_low > self.spec_high:
            raise ValueError("spec_low: must not be greater than spec_high")
        if self.status == "corrected" and (self.corrects_result_id is None or self.correction_reason is None):
            raise ValueError("corrects_result_id and correction_reason: required when status is 'corrected'")
        if self.status != "corrected" and self.corrects_result_id is not None:
            raise ValueError("corrects_result_id: only allowed when status is 'corrected'")
        return self
