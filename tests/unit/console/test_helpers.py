"""Pure helpers of the web side: the login redirect target, CSRF comparison, and the audit search form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from console.web.audit import Search, _time
from console.web.guard import csrf_ok
from console.web.login import _safe_next
from orchestrator.audit import query

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("target", ["https://evil.example/", "http:/evil", "//evil.example", "/\\evil.example",
                                    "evil", "javascript:alert(1)", "", None])
def test_next_never_leaves_the_console(target: str | None) -> None:
    """An open redirect after login would hand a phishing page the user's trust."""
    assert _safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/audit?ident=X", "/workflows/abc", "/audit?ident=%2F%2Fevil"])
def test_next_keeps_a_path_on_the_console(target: str) -> None:
    assert _safe_next(target) == target


@pytest.mark.parametrize(("given", "ok"), [("tok", True), ("tok2", False), ("", False), (None, False),
                                           (["tok"], False), ("tök", False)])
def test_csrf_ok_needs_the_same_non_empty_string(given: object, ok: bool) -> None:
    assert csrf_ok("tok", given) is ok


def test_csrf_ok_refuses_when_nothing_is_expected() -> None:
    """A missing login cookie (expected '') must not match a missing form field."""
    assert not csrf_ok("", "")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-05-01T10:30", datetime(2026, 5, 1, 10, 30, tzinfo=UTC)),  # datetime-local: no zone, read as UTC
    ("2026-05-01T10:30:15Z", datetime(2026, 5, 1, 10, 30, 15, tzinfo=UTC)),
    ("2026-05-01T12:30+02:00", datetime(2026, 5, 1, 10, 30, tzinfo=UTC)),
    ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
])
def test_form_times_are_utc(text: str, expected: datetime) -> None:
    value = _time(text, "from")
    assert value == expected and value is not None and value.utcoffset() == timedelta(0)


def test_a_zoned_time_is_converted_not_relabelled() -> None:
    value = _time("2026-05-01T10:30-05:00", "until")
    assert value is not None and value.tzinfo == UTC
    assert value == datetime(2026, 5, 1, 10, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_an_empty_time_is_no_bound() -> None:
    assert _time("", "from") is None


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00", "01/05/2026"])
def test_junk_time_is_a_400_naming_the_field(text: str) -> None:
    with pytest.raises(HTTPException) as refused:
        _time(text, "from")
    assert refused.value.status_code == 400 and "'from'" in str(refused.value.detail)


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/audit", "query_string": query.encode(),
                    "headers": []})


def test_search_reads_and_trims_the_query() -> None:
    search = Search.of(_request("ident=+B-1+&user=alice&system=&since=2026-05-01T00:00&other=x"))
    assert search == Search(ident="B-1", user="alice", since="2026-05-01T00:00")
    assert not search.empty


def test_search_described_lists_only_what_was_given() -> None:
    """The description is the reason of the audit_search record: who looked for what."""
    assert Search(ident="B-1", system="lims").described() == "ident=B-1; system=lims"
    assert Search().described() == "everything"
    assert Search().empty and Search.of(_request("ident=++")).empty


def test_search_filters_carry_parsed_times() -> None:
    filters = Search(user="alice", since="2026-05-01T00:00", action="sign").filters()
    assert filters == query.Filters(None, "alice", datetime(2026, 5, 1, tzinfo=UTC), None, "sign")


def test_search_filters_refuse_a_junk_time() -> None:
    with pytest.raises(HTTPException):
        Search(until="soon").filters()
