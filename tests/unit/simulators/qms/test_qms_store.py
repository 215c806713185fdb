"""The QMS database: ids, links both ways, change feed, audit trail, persistence and credentials."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.qms.credentials import basic_credentials, load_or_create
from simulators.qms.store import QmsStore
from simulators.qms.workflow import InvalidInput, InvalidTransition, UnknownRecord

pytestmark = pytest.mark.unit


def open_store(path: Path, clock: SimClock | None = None) -> QmsStore:
    clock = clock or SimClock()
    return QmsStore(path, clock, NativeAuditTrail(path / "audit.jsonl", clock))


def test_seeded_with_closed_history_from_the_reference_plant(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ph = store.get("deviation", "DEV-2025-0031")
    assert (ph["equipment_id"], ph["lot_id"], ph["status"]) == ("BR-101", "L-CART-2025-0118", "closed")
    assert store.get("capa", ph["capa_ids"][0])["deviation_ids"] == ["DEV-2025-0031"]
    changes, cursor = store.changes_since(0, 100)
    assert {c["action"] for c in changes} == {"import"} and cursor == len(changes) == 6
    assert all(e.user == "system" for e in store.audit.since(0))


def test_ids_follow_the_year_and_survive_a_restart(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    first = store.create("deviation", {"title": "Temperature alarm", "classification": "minor"}, "jdoe")
    year = first["opened_at"][:4]
    assert first["id"] == f"DEV-{year}-0001" and first["opened_by"] == first["owner"] == "jdoe"
    with pytest.raises(InvalidInput, match="FIELD-REQUIRED"):
        store.create("deviation", {"title": "no classification"}, "jdoe")
    again = open_store(tmp_path)
    assert again.get("deviation", first["id"])["title"] == "Temperature alarm"
    assert again.create("deviation", {"title": "Second", "classification": "minor"}, "jdoe")["id"] \
        == f"DEV-{year}-0002"
    assert len(again.audit.since(0)) == len(store.audit.since(0)) + 1


def test_links_go_both_ways_and_are_audited_with_reason(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    dev = store.create("deviation", {"title": "pH low", "classification": "major", "batch_id": "CART-2026-0001"},
                       "jdoe")
    inv = store.create("investigation", {"deviation_id": dev["id"]}, "qa.mlee")
    capa = store.create("capa", {"title": "Fix probe", "capa_type": "corrective"}, "qa.mlee")
    store.link("capa", capa["id"], "deviation", dev["id"], "CAPA addresses the pH excursion", "qa.mlee")
    store.link("capa", capa["id"], "deviation", dev["id"], "retried call", "qa.mlee")  # no second entry
    linked = store.get("deviation", dev["id"])
    assert linked["investigation_ids"] == [inv["id"]] and linked["capa_ids"] == [capa["id"]]
    links = [e for e in store.audit.since(0) if e.action == "link" and e.record_id == dev["id"]]
    assert [(e.field, e.old, e.new) for e in links] == [
        ("investigation_ids", [], [inv["id"]]), ("capa_ids", [], [capa["id"]])]
    assert links[1].reason == "CAPA addresses the pH excursion"
    with pytest.raises(UnknownRecord, match="DEV-1999-0001"):
        store.link("capa", capa["id"], "deviation", "DEV-1999-0001", "typo", "qa.mlee")
    with pytest.raises(InvalidTransition, match="CAPA-LOCKED"):
        store.link("capa", "CAPA-2025-0012", "deviation", dev["id"], "closed CAPA", "qa.mlee")


def test_a_refused_transition_changes_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    dev = store.create("deviation", {"title": "Late sample", "classification": "minor"}, "jdoe")
    before = (store.cursor, len(store.audit.since(0)))
    with pytest.raises(InvalidTransition):
        store.transition("deviation", dev["id"], "closed", "done", "qa.mlee")
    assert (store.cursor, len(store.audit.since(0))) == before
    moved = store.transition("deviation", dev["id"], "under_investigation", "QA triage", "qa.mlee")
    entry = store.audit.since(0)[-1]
    assert moved["status"] == "under_investigation"
    assert (entry.user, entry.field, entry.old, entry.new, entry.reason) == \
        ("qa.mlee", "status", "open", "under_investigation", "QA triage")


def test_feed_pages_with_a_cursor_and_filters_by_kind(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    page, cursor = store.changes_since(0, 4)
    assert [c["seq"] for c in page] == [1, 2, 3, 4] and cursor == 4
    rest, cursor = store.changes_since(cursor, 100)
    assert [c["seq"] for c in rest] == [5, 6] and cursor == 6
    store.create("change_control", {"title": "New SOP", "description": "Rev 6", "change_type": "document"}, "x")
    deviations, cursor = store.changed_records("deviation", 6, 100)
    assert deviations == [] and cursor == 7


def test_time_window_is_normalised_to_utc_and_checked(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    dev = store.create("deviation", {"title": "t", "classification": "minor", "time_window_start": "2026-01-01T10:00",
                                     "time_window_end": "2026-01-01T12:00:00+01:00"}, "jdoe")
    assert dev["time_window_start"] == "2026-01-01T10:00:00+00:00"
    assert dev["time_window_end"] == "2026-01-01T11:00:00+00:00"
    with pytest.raises(InvalidInput, match="FIELD-WINDOW"):
        store.create("deviation", {"title": "t", "classification": "minor", "time_window_start": "2026-01-02T00:00Z",
                                   "time_window_end": "2026-01-01T00:00Z"}, "jdoe")


def test_clock_skew_dates_the_records(tmp_path: Path) -> None:
    clock = SimClock(skew_seconds=-400 * 86400)
    store = open_store(tmp_path, clock)
    dev = store.create("deviation", {"title": "t", "classification": "minor"}, "jdoe")
    assert dev["opened_at"] == dev["modified_at"] and dev["id"].startswith(f"DEV-{clock.now().year}-")
    assert store.audit.since(0)[-1].at[:10] == clock.now().isoformat()[:10]


def test_credentials_are_generated_once_and_owner_only(tmp_path: Path) -> None:
    creds = load_or_create(tmp_path)
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert load_or_create(tmp_path) == creds and len(creds.password) >= 24
    (tmp_path / "other").mkdir()
    assert load_or_create(tmp_path / "other").password != creds.password
    header = "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    assert creds.check(header) == creds.username
    assert creds.check(header[:-4] + "AAAA") is None and creds.check(None) is None
    assert basic_credentials("Basic !!!") is None and basic_credentials("Bearer abc") is None
