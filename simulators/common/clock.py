"""The simulator's clock: real time plus an injectable skew, as a badly synchronised system has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SimClock:
    def __init__(self, skew_seconds: float = 0.0) -> None:
        self.skew_seconds = skew_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.skew_seconds)
