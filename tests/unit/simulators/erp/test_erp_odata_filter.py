"""The OData $filter / $orderby subset the ERP understands, and the 400s for what it does not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.erp.odata import QueryOptions, select
from simulators.erp.odata_filter import parse_filter
from simulators.erp.odata_types import ODataError, Schema
from simulators.erp.problems import Problem

pytestmark = pytest.mark.unit

SCHEMA: Schema = {"id": "string", "status": "string", "material": "string", "quantity": "number",
                  "expiry": "date", "changed_at": "datetime", "flag": "boolean"}
ROWS: list[dict[str, Any]] = [
    {"id": "A", "status": "quarantine", "material": "MAT-LVV", "quantity": 40.0, "expiry": "2027-06-30",
     "changed_at": "2024-05-01T10:00:00+00:00", "flag": True},
    {"id": "B", "status": "released", "material": "MAT-LVV", "quantity": 5, "expiry": None,
     "changed_at": "2024-05-02T10:00:00.5+00:00", "flag": False},
    {"id": "C'x", "status": "quarantine", "material": "MAT-MED", "quantity": 60.0, "expiry": "2026-01-31",
     "changed_at": "2024-04-30T23:59:59+00:00", "flag": False},
]


def ids(expression: str) -> list[str]:
    predicate = parse_filter(expression, SCHEMA)
    return [str(row["id"]) for row in ROWS if predicate(row)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("status eq 'quarantine' and material eq 'MAT-LVV'", ["A"]),
    ("status ne 'quarantine'", ["B"]),
    ("quantity gt 10 and quantity le 60", ["A", "C'x"]),
    ("quantity lt 5.5", ["B"]),
    ("expiry lt 2027-01-01", ["C'x"]),
    ("expiry eq null", ["B"]),
    ("changed_at ge 2024-05-01T00:00:00Z", ["A", "B"]),
    ("changed_at lt 2024-05-01", ["C'x"]),
    ("not (status eq 'released') or quantity eq 5", ["A", "B", "C'x"]),
    ("status in ('released', 'blocked')", ["B"]),
    ("contains(material, 'MED') or startswith(id, 'B')", ["B", "C'x"]),
    ("id eq 'C''x'", ["C'x"]),
    ("flag eq true", ["A"]),
    ("status EQ 'released' AND quantity Gt 1", ["B"]),  # operators are case-insensitive
])
def test_filter_selects_the_matching_rows(expression: str, expected: list[str]) -> None:
    assert ids(expression) == expected


@pytest.mark.parametrize(("expression", "complaint"), [
    ("status eq", "ends early"),
    ("status eq 'unterminated", "unexpected character"),
    ("colour eq 'red'", "does not exist"),
    ("quantity eq 'ten'", "not a valid number"),
    ("expiry gt 'soon'", "not a valid date"),
    ("status like 'x'", "expected an operator"),
    ("flag gt true", "not defined for boolean"),
    ("contains(quantity, '1')", "needs a string property"),
    ("status eq 'a' status eq 'b'", "unexpected"),
    ("(" * 40 + "status eq 'a'" + ")" * 40, "nests deeper"),
    ("quantity eq 1e999", "not a valid number"),
    ("   ", "empty"),
    ("status eq 'a' and", "ends early"),
    ("§", "unexpected character"),
])
def test_bad_filters_are_refused_with_a_reason(expression: str, complaint: str) -> None:
    with pytest.raises(ODataError, match=complaint):
        parse_filter(expression, SCHEMA)


def test_orderby_sorts_by_several_keys_and_nulls_first() -> None:
    rows = select(ROWS, SCHEMA, QueryOptions(orderby="status desc, quantity asc"))
    assert [r["id"] for r in rows] == ["B", "A", "C'x"]
    rows = select(ROWS, SCHEMA, QueryOptions(orderby="expiry"))
    assert [r["id"] for r in rows] == ["B", "C'x", "A"]


@pytest.mark.parametrize("orderby", ["colour", "status sideways", "status,,id"])
def test_bad_orderby_is_a_400_problem(orderby: str) -> None:
    with pytest.raises(Problem) as caught:
        select(ROWS, SCHEMA, QueryOptions(orderby=orderby))
    assert caught.value.status == 400 and caught.value.code == "invalid_query_option"


PIECES = [*"()', -.:1209eqandorntgl_TZ", "status", "quantity", "expiry", " eq ", " gt ", " and ", "null", " in "]


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join) | st.text(max_size=40))
def test_any_text_either_parses_or_is_an_odata_error(text: str) -> None:
    try:
        predicate = parse_filter(text, SCHEMA)
    except ODataError:
        return
    for row in ROWS:
        assert predicate(row) in (True, False)
