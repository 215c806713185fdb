"""Process data and alarms from the DCS, shaped after OPC UA (status code quality, severity 1-1000).

`source_time` is the DCS timestamp: process data is evaluated against the time it was measured,
never against the time gxplink happened to receive it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from canonical_model.base import CanonicalModel, Identifier, UcumCode, UtcDateTime

Quality = Literal["good", "uncertain", "bad"]
AlarmState = Literal["active", "acknowledged", "cleared"]


class ProcessValue(CanonicalModel):
    """One sample of a DCS tag, e.g. BR-101 temperature."""

    tag: str = Field(min_length=1, max_length=200, description="DCS tag path, e.g. 'BR-101/TIC-101/PV.CV'")
    equipment_id: Identifier = Field(description="Equipment the tag belongs to, e.g. BR-101")
    value: float = Field(allow_inf_nan=False, description="Measured value in `unit`")
    unit: UcumCode = Field(description="UCUM unit, e.g. 'Cel', '[pH]', '%'")
    quality: Quality = Field(description="OPC UA status code class: good, uncertain or bad")
    source_time: UtcDateTime = Field(description="When the DCS measured the value")
    parameter: str | None = Field(
        default=None, min_length=1, description="Recipe parameter the tag measures (site binding), e.g. 'Temperature'"
    )


class Alarm(CanonicalModel):
    """A DCS alarm and its current state in the alarm lifecycle."""

    alarm_id: Identifier = Field(description="Alarm (condition) id in the DCS, unique per occurrence")
    tag: str = Field(min_length=1, max_length=200, description="Tag the alarm is attached to")
    equipment_id: Identifier = Field(description="Equipment the alarm concerns")
    severity: int = Field(ge=1, le=1000, description="OPC UA severity: 1 (lowest) to 1000 (highest)")
    message: str = Field(min_length=1, description="Alarm text as shown to the operator")
    state: AlarmState = Field(description="active, acknowledged (still active) or cleared")
    time: UtcDateTime = Field(description="When the alarm entered `state` (DCS time)")
    batch_id: Identifier | None = Field(default=None, description="Batch running on the equipment, if any")
