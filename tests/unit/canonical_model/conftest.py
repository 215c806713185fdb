"""Shared fixtures of the canonical model unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from canonical_model.example_docs import load_example

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture
def result_recorded_doc() -> dict[str, Any]:
    """A valid TestResultRecorded envelope (from the committed v1 examples)."""
    return load_example(1, "io.gxplink.evt.lims.test_result_recorded.v1")
