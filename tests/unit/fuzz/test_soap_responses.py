"""Fuzzing the QMS adapter's SOAP client (zeep, built from the simulator's WSDL) with mutated SOAP answers.

The seeds are real answers of the QMS simulator (ListChangesSince, GetAuditEntries, GetServerTime,
CreateDeviation, a Client fault). Each example mutates one, element by element (dropped, renamed, moved
to another namespace, duplicated, emptied, given odd text: huge numbers, impossible dates, long text,
xsi:nil) or byte by byte (cut off, spliced), or replaces it with a SOAP fault of any shape, a SOAP 1.2
envelope, an HTML error page, a DTD with entities, or nothing, under a random HTTP status. The properties:
each call returns the shape the adapter reads (records with their integer sequence numbers) or raises the
adapter's own errors (`RetryableError`, `PermanentError`, `QmsFault`) with a message naming the operation;
the change feed and the audit trail take each record into events or a dead letter with a reason, or stop
with such an error; never another exception, never a hang.
"""

from __future__ import annotations

import asyncio
import copy
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.qms.api import Page
from adapters.qms.audit import AuditFollower
from adapters.qms.client import ZeepQmsClient
from adapters.qms.feed import SKIPPED, ChangeFollower
from messaging.errors import PermanentError, RetryableError
from simulators.common.base import SimContext
from simulators.qms.server import QmsSimulator
from tests.support.fuzz import MemoryCursors, assert_refusals_are_dead_letters, outcomes_of, recording_pipeline

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ADDRESS = "http://qms.test/qms"
CALL_LIMIT = 10.0  # seconds: any call still running then is a hang
SOAP11, SOAP12 = "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"
TNS, XSI = "urn:qms:quality-records:2", "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Seeds:
    wsdl: bytes
    answers: dict[str, bytes]  # operation[:variant] -> the simulator's SOAP answer to it


def _wsdl_transport(wsdl: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=wsdl,
                                                              headers={"content-type": "text/xml"}))


def _record_seeds() -> Seeds:
    """Run the real client against the simulator once, in process, and keep what the simulator answered."""
    async def run(data_dir: Path) -> Seeds:
        sim = QmsSimulator(SimContext(system="qms", data_dir=data_dir))
        sim.wsgi.doc.wsdl11.build_interface_document(ADDRESS)
        wsdl = bytes(sim.wsgi.doc.wsdl11.get_interface_document())
        inner = httpx.ASGITransport(app=cast(Any, sim.gateway))
        answers: dict[str, bytes] = {}

        async def keep(request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            body = await response.aread()
            answers[request.headers["soapaction"].strip('"')] = body
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        client = ZeepQmsClient(f"{ADDRESS}?wsdl", sim.credentials.username, sim.credentials.password,
                               transport=httpx.MockTransport(keep), wsdl_transport=_wsdl_transport(wsdl))
        await client.open()
        await client.call("GetServerTime", {})
        created = await client.call("CreateDeviation", {"title": "t", "classification": "minor", "description": "d"})
        capa = await client.call("CreateCapa", {"title": "t", "description": "d", "capaType": "corrective"})
        await client.call("LinkCapaToDeviation", {"capaId": capa["capaId"], "deviationId": created["deviationId"],
                                                  "reason": "r"})
        with pytest.raises(PermanentError):
            await client.call("ChangeDeviationStatus", {"deviationId": created["deviationId"], "newStatus": "closed",
                                                        "reason": "r"})
        recent = await client.changes(6, 100)  # the new deviation, the CAPA, its `link` change (enriched from
        assert ("capa", "link") in {(c["recordType"], c["action"]) for c in recent.records}  # the audit trail)
        answers["ListChangesSince:recent"] = answers["ListChangesSince"]
        await client.audit(0, 100, record_id=capa["capaId"])
        answers["GetAuditEntries:capa"] = answers["GetAuditEntries"]
        await client.changes(0, 100)  # the whole history
        await client.audit(0, 100)
        await client.close()
        return Seeds(wsdl, answers)
    with tempfile.TemporaryDirectory() as data_dir:
        return asyncio.run(run(Path(data_dir) / "qms"))


SEEDS = _record_seeds()


# --- mutations ------------------------------------------------------------------------------------------------
_xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
_odd_texts = _xml_text | st.sampled_from([
    "", " ", "-1", "0", "9" * 40, "-" + "9" * 30, "1e999", "NaN", "INF", "true", "maybe", "2026-13-45T99:99:99",
    "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00", "2026-11-22", "P1D", "x" * 20_000, "\u202edesrever",
    "<not-xml>", "DEV-2025-0027", "capa", "link", "deviation_ids", '["DEV-1"]'])
_names = st.sampled_from(["changes", "changeSeq", "changedAt", "recordType", "action", "hasMore", "entries", "seq",
                          "lastSeq", "at", "deviation", "capa", "unknownElement", "Fault", "Body", "Envelope"])
READ = ["changeSeq", "changedAt", "recordType", "action", "recordId", "hasMore", "seq", "at", "field", "newValue",
        "oldValue", "lastSeq"]  # the fields the adapter itself reads (the mappings read the rest)
_namespaces = st.sampled_from([TNS, "urn:qms:quality-records:1", SOAP11, SOAP12, "", "urn:other"])


@st.composite
def element_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with one to three elements dropped, renamed, re-namespaced, duplicated, emptied or given odd text."""
    root = etree.fromstring(seed)
    for _ in range(draw(st.integers(1, 3))):
        elements = list(root.iter())
        element = elements[draw(st.integers(0, len(elements) - 1))]
        parent = element.getparent()
        action = draw(st.sampled_from(["drop", "text", "text", "rename", "namespace", "duplicate", "empty", "nil",
                                       "type", "child"]))
        local = etree.QName(element).localname
        if action == "drop" and parent is not None:
            parent.remove(element)
        elif action == "text":
            element.text = draw(_odd_texts)
        elif action == "rename":
            element.tag = f"{{{etree.QName(element).namespace or TNS}}}{draw(_names)}"
        elif action == "namespace":
            namespace = draw(_namespaces)
            element.tag = f"{{{namespace}}}{local}" if namespace else local
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(element), copy.deepcopy(element))
        elif action == "empty":
            for child in list(element):
                element.remove(child)
            element.text = None
        elif action == "nil":
            element.set(f"{{{XSI}}}nil", "true")
        elif action == "type":
            element.set(f"{{{XSI}}}type", draw(st.sampled_from(["xsd:int", "xsd:string", "tns:Nothing", "::"])))
        else:
            etree.SubElement(element, f"{{{TNS}}}{draw(_names)}").text = draw(_odd_texts)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@st.composite
def field_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with one or two of the fields the adapter reads given odd text, emptied, nil or dropped."""
    root = etree.fromstring(seed)
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(READ))
        found = [e for e in root.iter() if etree.QName(e).localname == name]
        if not found:
            continue
        element = draw(st.sampled_from(found))
        action = draw(st.sampled_from(["text", "text", "text", "nil", "drop"]))
        if action == "text":
            element.text = draw(_odd_texts)
        elif action == "nil":
            element.text = None
            element.set(f"{{{XSI}}}nil", "true")
        elif (parent := element.getparent()) is not None:
            parent.remove(element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _envelope(body: bytes, envelope: str = SOAP11) -> bytes:
    return f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{envelope}">'.encode() + body + b"</soap:Envelope>"


def _fault(code: str | None, text: str | None, envelope: str = SOAP11) -> bytes:
    parts = [f"<faultcode>{code}</faultcode>" if code is not None else "",
             f"<faultstring>{text}</faultstring>" if text is not None else ""]
    return _envelope(f'<soap:Body><soap:Fault>{"".join(parts)}</soap:Fault></soap:Body>'.encode(), envelope)


_faults = st.builds(_fault, st.none() | st.sampled_from(["soap:Client", "soap:Client.InvalidTransition", "soap:Server",
                                                         "soap:Server.Unavailable", "", "x:y:z", "Client.NoPrefix",
                                                         "soap:VersionMismatch"]),
                    st.none() | st.sampled_from(["", "[DEV-TRANSITION] no", "x" * 5000]) | _xml_text.map(
                        lambda t: t.replace("<", "").replace("&", "")),
                    st.sampled_from([SOAP11, SOAP11, SOAP12]))
_HTML = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
_ENTITIES = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
             b'<soap:Envelope xmlns:soap="' + SOAP11.encode() + b'"><soap:Body>&b;</soap:Body></soap:Envelope>')


@st.composite
def byte_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    at = draw(st.integers(0, len(seed)))
    kind = draw(st.sampled_from(["cut", "splice", "overwrite"]))
    if kind == "cut":
        return seed[:at]
    junk = draw(st.sampled_from([b"<", b">", b"&", b"]]>", b"\x00", b"\xff\xfe", b"<x>", b"</soap11env:Body>"])
                | st.binary(min_size=1, max_size=6))
    return seed[:at] + junk + seed[at + (len(junk) if kind == "overwrite" else 0):]


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def response(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status, headers={"content-type": self.content_type}, content=self.body)


def answers(operation: str, *, records: bool = False) -> st.SearchStrategy[Answer]:
    """What the QMS might answer to `operation`: its own answer mutated, another operation's answer, or junk.

    With `records`, mostly its own answer with odd values in the fields the adapter reads (zeep refuses most
    structural damage outright, so the records that get through to the adapter come from these).
    """
    own = st.sampled_from([seed for name, seed in sorted(SEEDS.answers.items()) if name.split(":")[0] == operation])
    other = st.sampled_from(sorted(SEEDS.answers.values()))
    mutated = own.flatmap(field_mutations if records else element_mutations)  # weighted: mostly readable SOAP
    body = st.one_of(mutated, mutated, mutated, mutated, own.flatmap(byte_mutations), other.flatmap(element_mutations),
                     _faults, own, st.sampled_from([_HTML, b"", _ENTITIES, b"not xml at all"]), st.binary(max_size=30))
    status = st.sampled_from([200] * 20 + [500, 500, 400, 401, 404, 502, 503])
    content_type = st.sampled_from(["text/xml; charset=utf-8"] * 3 + ["application/soap+xml", "text/html"])
    return st.builds(Answer, status, content_type, body)


# --- the client ------------------------------------------------------------------------------------------------
QmsCall = Callable[[ZeepQmsClient], Awaitable[Any]]


def _changes_ok(page: Any) -> bool:
    return isinstance(page, Page) and all(isinstance(r, dict) and isinstance(r.get("changeSeq"), int)
                                          for r in page.records)


def _audit_ok(answer: Any) -> bool:
    entries, last = answer
    return isinstance(last, int) and all(isinstance(e, dict) and isinstance(e.get("seq"), int) for e in entries)


OPERATIONS: dict[str, tuple[QmsCall, Callable[[Any], bool]]] = {
    "ListChangesSince": (lambda c: c.changes(0, 4), _changes_ok),
    "GetAuditEntries": (lambda c: c.audit(0, 4), _audit_ok),
    "GetServerTime": (lambda c: c.call("GetServerTime", {}), lambda v: isinstance(v, dict)),
    "CreateDeviation": (lambda c: c.call("CreateDeviation", {"title": "t", "classification": "minor",
                                                             "description": "d"}), lambda v: isinstance(v, dict)),
    "ChangeDeviationStatus": (lambda c: c.call("ChangeDeviationStatus", {
        "deviationId": "DEV-1", "newStatus": "closed", "reason": "r"}), lambda v: isinstance(v, dict)),
}


def client_for(answer: Answer, operation: str | None = None,
               others: Answer | None = None) -> ZeepQmsClient:
    """A zeep client on the simulator's WSDL whose QMS answers `answer` (to `operation` only, if given)."""
    def respond(request: httpx.Request) -> httpx.Response:
        asked = request.headers.get("soapaction", "").strip('"')
        if operation is None or asked == operation or others is None:
            return answer.response(request)
        return others.response(request)
    return ZeepQmsClient(f"{ADDRESS}?wsdl", "qms.integration", "pw", timeout=2.0,
                         transport=httpx.MockTransport(respond), wsdl_transport=_wsdl_transport(SEEDS.wsdl))


def _refusal(answer: Answer) -> bool:
    """Whether the QMS refused (a Client fault, HTTP 4xx): only then may the error be permanent."""
    return b"Client" in answer.body or (400 <= answer.status < 500 and answer.status not in (408, 429))


async def _outcome(call: Awaitable[Any], operation: str, *answered: Answer) -> tuple[str, Any]:
    """('ok', value) or ('refused', error); another error type, a permanent error for a reply that is only
    malformed, or a call that does not end, fails the test."""
    try:
        return "ok", await asyncio.wait_for(call, CALL_LIMIT)
    except TimeoutError:
        raise AssertionError(f"{operation} did not end within {CALL_LIMIT} s") from None
    except (RetryableError, PermanentError) as exc:
        message = str(exc)
        assert message.strip(), f"{type(exc).__name__} without a message"
        assert operation in message or "QMS" in message, f"the message does not say what failed: {message!r}"
        if isinstance(exc, PermanentError):
            assert any(_refusal(a) for a in answered), f"a malformed answer taken as a refusal: {message}"
        return "refused", exc


def _seed(name: str, field: str | None = None, text: str | None = None) -> Answer:
    """The simulator's answer `name`, with every `field` given `text` if asked."""
    root = etree.fromstring(SEEDS.answers[name])
    for element in root.iter(f"{{{TNS}}}{field}") if field else ():
        element.text = text
    return Answer(200, "text/xml; charset=utf-8", bytes(etree.tostring(root)))


def _without(operation: str, element: bytes) -> Answer:
    """The simulator's answer to `operation` without the first `element` (e.g. b"changeSeq")."""
    seed = SEEDS.answers[operation]
    start = seed.index(b"<tns:" + element + b">")
    end = seed.index(b"</tns:" + element + b">", start) + len(element) + 7
    return Answer(200, "text/xml", seed[:start] + seed[end:])


@FUZZ
@given(case=st.sampled_from(sorted(OPERATIONS)).flatmap(lambda op: st.tuples(st.just(op), answers(op))))
# Found by this test: a change or an audit entry without its sequence number came back as a record (None),
# which the follower's int() then failed on (TypeError), outside the adapter's error types.
@example(case=("ListChangesSince", _without("ListChangesSince", b"changeSeq")))
@example(case=("GetAuditEntries", _without("GetAuditEntries", b"seq")))
# ...zeep's own exceptions for a reply it cannot read escaped the client: an empty Body (IndexError), an
# unreadable xsi:type (ValueError); an Envelope without a Body (TypeError) was taken as a permanent refusal.
@example(case=("GetAuditEntries", Answer(200, "text/xml", _envelope(b"<soap:Body/>"))))
@example(case=("GetServerTime", Answer(200, "text/xml", _envelope(b""))))
@example(case=("ListChangesSince", Answer(200, "text/xml", SEEDS.answers["ListChangesSince"].replace(
    b"<tns:ListChangesSinceResponse>", f'<tns:ListChangesSinceResponse xmlns:xsi="{XSI}" xsi:type="::">'.encode()))))
async def test_every_soap_answer_is_read_or_refused_with_the_clients_errors(case: tuple[str, Answer]) -> None:
    operation, answer = case
    call, shaped = OPERATIONS[operation]
    client = client_for(answer)
    await client.open()
    try:
        kind, value = await _outcome(call(client), operation, answer)
    finally:
        await client.close()
    assert kind == "refused" or shaped(value), f"{operation} returned {value!r}"


# --- the change feed and the audit trail ----------------------------------------------------------------------
@FUZZ
@given(answer=answers("ListChangesSince", records=True), audit=answers("GetAuditEntries", records=True))
# Found by this test: an audit entry (or a change) whose time zeep could not read (None) made links._moment
# raise ValueError while enriching a CAPA `link` change...
@example(answer=_seed("ListChangesSince:recent"), audit=_seed("GetAuditEntries:capa", "at", "garbage"))
@example(answer=_seed("ListChangesSince:recent", "changedAt", "garbage"), audit=_seed("GetAuditEntries:capa"))
# ...and one without an offset was compared with an aware one (TypeError).
@example(answer=_seed("ListChangesSince:recent"), audit=_seed("GetAuditEntries:capa", "at", "2026-11-22T10:00:00"))
async def test_the_change_feed_takes_each_change_or_stops_with_a_classified_error(answer: Answer,
                                                                                   audit: Answer) -> None:
    pipeline, publisher = recording_pipeline("qms")
    seen = outcomes_of(pipeline)
    client = client_for(answer, "ListChangesSince", audit)
    await client.open()
    feed = ChangeFollower(client, pipeline, MemoryCursors(), page_size=10)  # type: ignore[arg-type]
    try:
        kind, _ = await _outcome(feed.poll_once(), "ListChangesSince", answer, audit)
        page = await _outcome(client.changes(0, 10), "ListChangesSince", answer, audit)
    finally:
        await client.close()
    assert_refusals_are_dead_letters(seen, publisher.dead_letters())
    if kind == "ok" and page[0] == "ok":
        taken, last = [], 0
        for change in page[1].records:
            if change["changeSeq"] > last:
                taken.append(change)
                last = change["changeSeq"]
        expected = sum((str(c.get("recordType")), str(c.get("action"))) not in SKIPPED for c in taken)
        handed = [origin for origin, _ in seen if "ListChangesSince (changeSeq" in origin]
        assert len(handed) == expected, f"{expected} changes to take, {len(handed)} translated or dead-lettered"


@FUZZ
@given(answer=answers("GetAuditEntries", records=True))
async def test_the_audit_trail_takes_each_entry_or_stops_with_a_classified_error(answer: Answer) -> None:
    pipeline, publisher = recording_pipeline("qms")
    seen = outcomes_of(pipeline)
    client = client_for(answer)
    await client.open()
    trail = AuditFollower(client, pipeline, MemoryCursors(), page_size=10)  # type: ignore[arg-type]
    try:
        kind, _ = await _outcome(trail.poll_once(), "GetAuditEntries", answer)
        read = await _outcome(client.audit(0, 10), "GetAuditEntries", answer)
    finally:
        await client.close()
    assert_refusals_are_dead_letters(seen, publisher.dead_letters())
    if kind == "ok" and read[0] == "ok":
        last, expected = 0, 0
        for entry in read[1][0]:
            if entry["seq"] > last:
                expected, last = expected + 1, entry["seq"]
        handed = [origin for origin, _ in seen if "GetAuditEntries (seq" in origin]
        assert len(handed) == expected, f"{expected} entries to take, {len(handed)} translated or dead-lettered"
