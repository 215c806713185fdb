"""Fuzzing the MES and ERP REST clients and their change feeds with whatever an HTTP answer can carry.

respx serves one answer per example for every request: a random status, content type and body (random
JSON, page-shaped JSON with values of the wrong type, JSON cut off, an HTML error page, bytes that are
not UTF-8). The properties: every client call returns the shape its API documents or raises the
adapter's own error (`RetryableError`, `PermanentError` and their subclasses) with a message that says
which system and what; the change feeds take each record into canonical events or a dead letter with a
reason, or stop with such an error; nothing else escapes, and nothing loops (each call has a time limit).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.erp.api import Reply
from adapters.erp.client import ErpHttpClient
from adapters.erp.feed import NO_EVENT, ChangeFeedReader
from adapters.mes.api import Page
from adapters.mes.client import MesHttpClient
from adapters.mes.feed import SKIPPED, FeedFollower
from messaging.errors import GxplinkError
from tests.support.fuzz import MemoryCursors, assert_refusals_are_dead_letters, outcomes_of, recording_pipeline

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MES, ERP = "http://mes.test/api/v1", "http://erp.test/odata"
CALL_LIMIT = 3.0  # seconds: any call still running then is a hang (mocked answers take milliseconds)

# --- bodies -------------------------------------------------------------------------------------------------
_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
            | st.text(max_size=12))
json_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
_MES_KINDS = ["batch_created", "batch_state_changed", "step_completed", "material_consumed", "sample_pulled",
              "step_signed_off", "step_started", "no_such_kind"]
_ERP_KINDS = ["lot_created", "lot_status_changed", "inventory_transaction_posted", "usage_decision_posted",
              "bom_changed", "production_order_created", "production_order_status_changed", "no_such_kind"]
_seqs = st.integers(0, 50) | json_values
_links = st.none() | st.sampled_from(["/boms", "/boms?$skip=1", "http://other.test/x", "not a url", "http://[::1",
                                      "/boms\x00", 7, ""])


def _record(kinds: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A feed record with the usual keys, each possibly of the wrong type, plus stray keys."""
    data = (st.dictionaries(st.sampled_from(["production_order", "movement_type", "lot", "master_batch_record_id",
                                             "state"]), json_values | st.sampled_from(["PO-1", "321", "L-1", "MBR-1"]),
                            max_size=4)
            | st.lists(json_values, min_size=1, max_size=2) | st.text(min_size=1, max_size=5) | json_values)
    fixed = st.fixed_dictionaries(
        {"seq": _seqs, "type": st.sampled_from(kinds) | json_values},
        optional={"data": data,
                  "batch_id": json_values | st.just("B-1"), "object_id": json_values, "at": json_values,
                  "enrichment": json_values, "changes": json_values, "object_type": json_values})
    return st.builds(lambda rec, extra: {**extra, **rec}, fixed, st.dictionaries(st.text(max_size=6), json_values,
                                                                                 max_size=2))


def _page(key: str, kinds: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({key: st.lists(_record(kinds), max_size=4) | json_values},
                                 optional={"has_more": json_values, "next_cursor": _seqs, "next_after": _seqs,
                                           "@odata.nextLink": _links, "detail": json_values, "type": json_values})


_HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@st.composite
def bodies(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    doc = draw(documents)
    text = json.dumps(doc).encode()  # Python writes NaN/Infinity, which its reader accepts again
    kind = draw(st.sampled_from(["json", "json", "json", "cut", "html", "empty", "bytes", "latin-1"]))
    if kind == "cut":
        return text[:draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "latin-1":
        return json.dumps({"detail": "Ungültig", "title": draw(st.text(max_size=5))}, ensure_ascii=False) \
            .encode("latin-1", errors="replace")
    return {"json": text, "html": _HTML, "empty": b"", "bytes": draw(st.binary(max_size=40))}.get(kind, text)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str | None
    body: bytes

    def response(self, request: httpx.Request) -> httpx.Response:
        headers = {"content-type": self.content_type} if self.content_type else {}
        if 300 <= self.status < 400:
            headers["location"] = "http://elsewhere.test/login"
        headers["etag"] = 'W/"1"'
        return httpx.Response(self.status, headers=headers, content=self.body)


_statuses = st.sampled_from([200, 200, 200, 200, 201, 204, 302, 400, 401, 404, 409, 412, 422, 429, 500, 502, 503, 504])
_types = st.sampled_from(["application/json", "application/problem+json", "text/html", "text/plain", None])


def answers(documents: st.SearchStrategy[Any]) -> st.SearchStrategy[Answer]:
    return st.builds(Answer, _statuses, _types, bodies(documents))


def _served(base: str, answer: Answer, feed: tuple[str, dict[str, Any]] | None = None) -> httpx.AsyncBaseTransport:
    """A transport answering `answer` to every request, except GET `feed[0]`, which gets the JSON page `feed[1]`."""
    router = respx.Router(assert_all_called=False)
    if feed is not None:
        page = json.dumps(feed[1]).encode()  # NaN and Infinity included, as Python's json reader accepts them
        router.route(method="GET", path=urlsplit(base).path + feed[0]).respond(
            content=page, headers={"content-type": "application/json"})
    router.route().mock(side_effect=answer.response)  # any other request, to any host (a nextLink may go anywhere)

    async def handle(request: httpx.Request) -> httpx.Response:
        # A mocked answer comes back without suspending; a client that loops on its answers would then
        # never give the event loop back, and the time limit could not fire. Yield once per request.
        await asyncio.sleep(0)
        return await router.async_handler(request)
    return httpx.MockTransport(handle)


async def _outcome(call: Awaitable[Any], system: str) -> tuple[str, Any]:
    """('ok', value) or ('refused', error); an error of another type, or a call that does not end, fails."""
    try:
        return "ok", await asyncio.wait_for(call, CALL_LIMIT)
    except TimeoutError:
        raise AssertionError(f"the {system} call did not end within {CALL_LIMIT} s (a loop?)") from None
    except GxplinkError as exc:
        message = str(exc)
        assert message.strip(), f"{type(exc).__name__} without a message"
        assert system in message or "http://" in message, f"the message does not say where: {message!r}"
        return "refused", exc


def _records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, dict) for r in value)


# --- MES: the client ----------------------------------------------------------------------------------------
MesCall = Callable[[MesHttpClient], Awaitable[Any]]
_MES_CALLS: dict[str, tuple[MesCall, Callable[[Any], bool]]] = {
    "events": (lambda c: c.events(0, 5), lambda v: isinstance(v, Page) and all(isinstance(r["seq"], int)
                                                                                 for r in v.records)),
    "audit": (lambda c: c.audit(3, 5), lambda v: isinstance(v, Page) and _records(v.records)),
    "batch": (lambda c: c.batch("B/1"), lambda v: isinstance(v, dict)),
    "master_batch_record": (lambda c: c.master_batch_record("MBR 1"), lambda v: isinstance(v, dict)),
    "transition": (lambda c: c.transition("B1", {"action": "hold"}), lambda v: isinstance(v, dict)),
    "qc_summaries": (lambda c: c.qc_summaries("B1"), _records),
    "record_qc_summary": (lambda c: c.record_qc_summary("B1", {"a": 1}), lambda v: isinstance(v, dict)),
    "external_references": (lambda c: c.external_references("B1"), _records),
    "attach_reference": (lambda c: c.attach_reference("B1", {"a": 1}), lambda v: isinstance(v, dict)),
    "batchml": (lambda c: c.batchml("B1"), lambda v: isinstance(v, bytes)),
}
_mes_documents = _page("events", _MES_KINDS) | _page("entries", _MES_KINDS) | json_values


@FUZZ
@given(operation=st.sampled_from(sorted(_MES_CALLS)), answer=answers(_mes_documents))
@example(operation="events", answer=Answer(200, "application/json", b'{"events": [{"seq": 1}], "has'))
@example(operation="batch", answer=Answer(503, "text/html", _HTML))
@example(operation="transition", answer=Answer(409, "application/problem+json", b'{"detail": 5, "type": []}'))
async def test_every_mes_answer_is_read_or_refused_with_the_clients_errors(operation: str, answer: Answer) -> None:
    call, shaped = _MES_CALLS[operation]
    client = MesHttpClient(MES, "gxplink", "pw", timeout=2.0, transport=_served(MES, answer))
    await client.open()
    try:
        kind, value = await _outcome(call(client), "MES")
    finally:
        await client.close()
    assert kind == "refused" or shaped(value), f"{operation} returned {value!r}"
    if kind == "ok":
        assert 200 <= answer.status < 300, f"{operation} accepted an HTTP {answer.status}"


# --- ERP: the client ----------------------------------------------------------------------------------------
ErpCall = Callable[[ErpHttpClient], Awaitable[Any]]


def _cursor_page(value: Any) -> bool:
    return isinstance(value, tuple) and _records(value[0]) and isinstance(value[1], int)


def _reply(value: Any) -> bool:
    return isinstance(value, Reply) and (value.body is None or isinstance(value.body, dict))


_ERP_CALLS: dict[str, tuple[ErpCall, Callable[[Any], bool]]] = {
    "changes": (lambda c: c.changes(4, 5), _cursor_page),
    "audit": (lambda c: c.audit(4, 5), _cursor_page),
    "lot_changes": (lambda c: c.lot_changes("L-1"), _records),
    "boms": (lambda c: c.boms(), _records),
    "lot": (lambda c: c.lot("L/1"), lambda v: v is None or isinstance(v, dict)),
    "production_order": (lambda c: c.production_order("PO-1"), lambda v: v is None or isinstance(v, dict)),
    "production_orders_for_batch": (lambda c: c.production_orders_for_batch("B'1"), _records),
    "transactions": (lambda c: c.transactions("L-1", "321"), _records),
    "post_usage_decision": (lambda c: c.post_usage_decision("L-1", {"code": "A"}, 'W/"1"'), _reply),
    "post_inventory_transaction": (lambda c: c.post_inventory_transaction({"lot": "L-1"}), _reply),
    "post_production_order": (lambda c: c.post_production_order({"batch_id": "B1"}), _reply),
}
_erp_documents = _page("value", _ERP_KINDS) | json_values


@FUZZ
@given(operation=st.sampled_from(sorted(_ERP_CALLS)), answer=answers(_erp_documents))
# Found by this test: a next_cursor that is not a number raised ValueError/TypeError/OverflowError from int().
@example(operation="changes", answer=Answer(200, "application/json", b'{"value": [], "next_cursor": "abc"}'))
@example(operation="audit", answer=Answer(200, "application/json", b'{"value": [], "next_after": [1]}'))
@example(operation="changes", answer=Answer(200, "application/json", b'{"value": [], "next_cursor": Infinity}'))
# ...an @odata.nextLink back to the same page looped forever, collecting the same rows.
@example(operation="boms", answer=Answer(200, "application/json", b'{"value": [{}], "@odata.nextLink": "/boms"}'))
# ...an @odata.nextLink that is no URL raised httpx.InvalidURL.
@example(operation="boms", answer=Answer(200, "application/json", b'{"value": [], "@odata.nextLink": "http://[::1"}'))
# ...the audit trail of a lot that does not move on (the same rows again) looped forever.
@example(operation="lot_changes", answer=Answer(200, "application/json", b'{"value": [{"seq": 0}]}'))
# ...or had a row without its seq (KeyError).
@example(operation="lot_changes", answer=Answer(200, "application/json", b'{"value": [{"id": 1}]}'))
async def test_every_erp_answer_is_read_or_refused_with_the_clients_errors(operation: str, answer: Answer) -> None:
    call, shaped = _ERP_CALLS[operation]
    client = ErpHttpClient(ERP, basic=("RFC_GXP", "pw"), timeout=2.0, transport=_served(ERP, answer))
    try:
        kind, value = await _outcome(call(client), "ERP")
    finally:
        await client.close()
    assert kind == "refused" or shaped(value), f"{operation} returned {value!r}"
    if kind == "ok" and not operation.startswith("post_"):  # a write hands back any answer but 429/5xx as a Reply
        assert 200 <= answer.status < 300 or (answer.status == 404 and value is None), (operation, answer.status)


# --- the change feeds: records into events or dead letters ---------------------------------------------------
@dataclass(frozen=True)
class FeedCase:
    page: dict[str, Any]  # what the feed endpoint answers (200, JSON)
    other: Answer  # what every other endpoint (batch, master batch record, order, lot, BOMs) answers


@st.composite
def _feed_pages(draw: st.DrawFn, key: str, kinds: list[str]) -> dict[str, Any]:
    """A feed page whose records mostly have the next seq (so they are taken), now and then a wrong one."""
    records = draw(st.lists(_record(kinds), min_size=1, max_size=5))
    for n, record in enumerate(records, start=1):
        if draw(st.integers(0, 9)):
            record["seq"] = n
    return {key: records, "has_more": draw(st.booleans()), "next_cursor": 0}


def _feed_cases(key: str, kinds: list[str], documents: st.SearchStrategy[Any]) -> st.SearchStrategy[FeedCase]:
    return st.builds(FeedCase, _feed_pages(key, kinds), answers(documents))


@FUZZ
@given(case=_feed_cases("events", _MES_KINDS, json_values | st.fixed_dictionaries(
    {"batch_id": st.just("B-1"), "master_batch_record_id": json_values | st.just("MBR-1")})))
# Found by this test: a batch_created whose `data` is not an object raised AttributeError (.get on a list),
# and the record blocked the feed.
@example(case=FeedCase({"events": [{"seq": 1, "type": "batch_created", "data": [1]}], "has_more": False},
                       Answer(404, "application/problem+json", b'{"detail": "no batch"}')))
async def test_the_mes_feed_takes_each_record_or_stops_with_a_classified_error(case: FeedCase) -> None:
    pipeline, publisher = recording_pipeline("mes")
    seen = outcomes_of(pipeline)
    client = MesHttpClient(MES, "gxplink", "pw", timeout=2.0,
                           transport=_served(MES, case.other, ("/events", case.page)))
    await client.open()
    feed = FeedFollower(client, pipeline, MemoryCursors(), page_size=10)  # type: ignore[arg-type]
    records = case.page["events"]
    try:
        kind, _ = await _outcome(feed.poll_once(), "MES")
    finally:
        await client.close()
    assert_refusals_are_dead_letters(seen, publisher.dead_letters())
    if kind == "ok":
        assert all(isinstance(r["seq"], int) for r in records), "a record without an integer seq was taken"
        taken, last = [], 0
        for record in records:  # the follower's order: records after the cursor, duplicates dropped
            if record["seq"] > last:
                taken.append(record)
                last = record["seq"]
        expected = sum(str(r.get("type")) not in SKIPPED for r in taken)
        handed = [origin for origin, _ in seen if "/events (seq " in origin]
        assert len(handed) == expected, f"{expected} records to take, {len(handed)} translated or dead-lettered"


def _erp_seq(record: dict[str, Any]) -> int | None:
    """A record's position as the ERP feed reads it: anything int() takes, else none (then it is always taken)."""
    try:
        return int(record["seq"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


@FUZZ
@given(case=_feed_cases("value", _ERP_KINDS, _page("value", _ERP_KINDS) | json_values))
# Found by this test: an `enrichment` that is not an object (dict() of a list or text) raised TypeError/ValueError.
@example(case=FeedCase({"value": [{"seq": 1, "type": "lot_created", "data": {}, "enrichment": [1, 2]}]},
                       Answer(200, "application/json", b'{"value": []}')))
# ...a `type` that is not text (TypeError: unhashable list in the enricher's `kind in ORDER_KINDS`).
@example(case=FeedCase({"value": [{"seq": 1, "type": ["lot_created"], "data": {}}]},
                       Answer(200, "application/json", b'{"value": []}')))
# ...and a seq of Infinity (OverflowError from int(), which _seq and the enricher did not expect).
@example(case=FeedCase({"value": [{"seq": math.inf, "type": "inventory_transaction_posted",
                                   "data": {"movement_type": "321", "lot": "L-1"}}]},
                       Answer(200, "application/json", b'{"value": []}')))
async def test_the_erp_feed_takes_each_record_or_stops_with_a_classified_error(case: FeedCase) -> None:
    pipeline, publisher = recording_pipeline("erp")
    seen = outcomes_of(pipeline)
    client = ErpHttpClient(ERP, basic=("RFC_GXP", "pw"), timeout=2.0,
                           transport=_served(ERP, case.other, ("/changes", case.page)))
    reader = ChangeFeedReader(client, pipeline, MemoryCursors(), page=10)  # type: ignore[arg-type]
    try:
        kind, _ = await _outcome(reader.poll_once(), "ERP")
    finally:
        await client.close()
    assert_refusals_are_dead_letters(seen, publisher.dead_letters())
    if kind == "ok":
        taken, last = [], 0
        for record in case.page["value"]:  # the reader's first pass: records after the cursor, or without a seq
            seq = _erp_seq(record)
            if seq is None or seq > last:
                taken.append(record)
                last = seq if seq is not None else last
        expected = sum(str(r.get("type")) not in NO_EVENT for r in taken)
        handed = [origin for origin, _ in seen if "/changes#seq=" in origin]
        assert len(handed) >= expected, f"{expected} records to take, {len(handed)} translated or dead-lettered"
