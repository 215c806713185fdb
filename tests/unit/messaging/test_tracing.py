"""W3C trace context: children stay in their parent's trace, anything invalid starts a new one."""

from __future__ import annotations

import re

import pytest

from messaging.tracing import child_traceparent, trace_id

pytestmark = pytest.mark.unit
W3C = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_child_span_stays_in_its_parents_trace_with_a_new_span_id() -> None:
    first, second = child_traceparent(PARENT, "lims"), child_traceparent(PARENT, "lims")
    assert W3C.match(first) and first.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert first.split("-")[2] not in ("00f067aa0ba902b7", second.split("-")[2])
    assert trace_id(first) == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_sampling_decision_of_the_parent_is_kept() -> None:
    assert child_traceparent(PARENT.replace("-01", "-00"), "mes").endswith("-00")


@pytest.mark.parametrize("parent", [None, "", "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
                                    "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
                                    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
def test_a_missing_or_invalid_parent_starts_a_new_sampled_trace(parent: str | None) -> None:
    child = child_traceparent(parent, "erp")
    assert W3C.match(child) and child.endswith("-01") and trace_id(child) != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id(parent) is None
