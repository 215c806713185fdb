"""The live batch board: which NATS messages change a row, who hears about it, and how much is kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncEngine

from console import board as board_module
from console.board import MAX_BATCHES, QUEUE, Board, Cell, _label
from orchestrator.audit.keys import load_or_create_signer
from orchestrator.audit.store import AuditStore
from storage.engine import make_engine
from tests.unit.audit.envelopes import draft
from tests.unit.console.fakes import FakeMsg

pytestmark = pytest.mark.unit
TIME = "2026-05-01T10:00:00Z"


def _msg(subject: str, data: Any) -> Msg:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return cast(Msg, FakeMsg(subject, raw))


def _envelope(batch: str | None, time: str = TIME) -> dict[str, Any]:
    return {"type": "io.gxplink.evt.mes.batch_started.v1", "time": time, "correlationid": batch}


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[Board]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bare'}")  # no tables: load() finds no audit store
    yield Board(engine)
    await engine.dispose()


@pytest.mark.parametrize(("name", "label"), [
    ("io.gxplink.evt.mes.batch_started.v1", "batch_started"),
    ("io.gxplink.cmd.erp.release_lot.v12", "release_lot"),
    ("lot_released", "lot_released"),
    ("create", "create"),
    ("v1", "?"),
    ("", "?"),
    (None, "?"),
])
def test_label_is_the_message_name_without_its_version(name: str | None, label: str) -> None:
    assert _label(name) == label


async def test_an_event_sets_the_cell_of_its_source_system(board: Board) -> None:
    await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope("B-1")))
    assert board.snapshot() == [{"batch": "B-1", "cells": {"mes": {"what": "batch_started", "kind": "evt",
                                                                   "time": TIME}}}]


async def test_a_command_sets_the_cell_of_its_target_system(board: Board) -> None:
    await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope("B-1")))
    await board._on_message(_msg("gxp.cmd.erp.release_lot", _envelope("B-1", "2026-05-01T11:00:00Z")))
    assert board.rows["B-1"] == {"mes": Cell("batch_started", "evt", TIME),
                                 "erp": Cell("release_lot", "cmd", "2026-05-01T11:00:00Z")}


async def test_a_later_message_replaces_the_systems_cell(board: Board) -> None:
    await board._on_message(_msg("gxp.evt.lims.sample_received", _envelope("B-1")))
    await board._on_message(_msg("gxp.evt.lims.result_approved", _envelope("B-1")))
    assert board.rows["B-1"]["lims"].what == "result_approved"


@pytest.mark.parametrize(("subject", "data"), [
    ("gxp.evt.mes.batch_started", b"not json"),
    ("gxp.evt.mes.batch_started", b"\xff\xfe"),
    ("gxp.evt.mes.batch_started", [1, 2]),
    ("gxp.evt.mes.batch_started", "a string"),
    ("gxp.evt.mes.batch_started", {"type": "x"}),
    ("gxp.evt.mes.batch_started", _envelope(None)),
    ("gxp.evt.mes.batch_started", _envelope("")),
    ("gxp.evt.mes.batch_started", {"correlationid": 42}),
    ("gxp.evt.mes", _envelope("B-1")),
    ("gxp.evt.sap.batch_started", _envelope("B-1")),
])
async def test_messages_that_name_no_batch_or_no_known_system_are_ignored(board: Board, subject: str,
                                                                          data: Any) -> None:
    queue = board.subscribe()
    await board._on_message(_msg(subject, data))
    assert board.snapshot() == [] and queue.empty()


async def test_subscribers_receive_each_changed_row(board: Board) -> None:
    first, second = board.subscribe(), board.subscribe()
    await board._on_message(_msg("gxp.evt.qms.deviation_opened", _envelope("B-7")))
    expected = {"batch": "B-7", "cells": {"qms": {"what": "deviation_opened", "kind": "evt", "time": TIME}}}
    assert first.get_nowait() == expected and second.get_nowait() == expected
    board.unsubscribe(second)
    await board._on_message(_msg("gxp.evt.qms.deviation_closed", _envelope("B-7")))
    assert first.qsize() == 1 and second.empty()


async def test_a_full_subscriber_queue_misses_updates_without_breaking_the_board(board: Board) -> None:
    queue = board.subscribe()
    for n in range(QUEUE + 5):
        await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope(f"B-{n}")))
    assert queue.full() and len(board.rows) == min(QUEUE + 5, MAX_BATCHES)


async def test_stop_ends_every_open_stream(board: Board) -> None:
    queues = [board.subscribe(), board.subscribe()]
    await board.stop()
    assert [q.get_nowait() for q in queues] == [None, None]


async def test_only_the_most_recent_batches_are_kept(board: Board) -> None:
    for n in range(MAX_BATCHES + 3):
        await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope(f"B-{n}")))
    assert len(board.rows) == MAX_BATCHES
    assert "B-0" not in board.rows and f"B-{MAX_BATCHES + 2}" in board.rows


async def test_snapshot_lists_the_most_recently_changed_batch_first(board: Board) -> None:
    for batch in ("B-1", "B-2", "B-3"):
        await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope(batch)))
    await board._on_message(_msg("gxp.evt.erp.lot_released", _envelope("B-1")))  # B-1 moves to the top
    assert [row["batch"] for row in board.snapshot()] == ["B-1", "B-3", "B-2"]


async def test_a_touched_old_batch_survives_the_bound(board: Board, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(board_module, "MAX_BATCHES", 2)
    for batch in ("B-1", "B-2", "B-1", "B-3"):
        await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope(batch)))
    assert list(board.rows) == ["B-1", "B-3"]


async def test_load_from_a_database_without_an_audit_store_starts_empty(board: Board) -> None:
    await board.load()
    assert board.snapshot() == []


async def test_load_starts_from_the_audit_store_newest_state_winning(engine: AsyncEngine, tmp_path: Path) -> None:
    """Events fill their source system's cell, commands their target's, native audit entries count as audit."""
    store = AuditStore(engine, load_or_create_signer(tmp_path / "keys"))
    await store.append([draft("io.gxplink.evt.mes.batch_created", "B-1"),
                        draft("io.gxplink.cmd.erp.release_lot", "B-1"),
                        draft("io.gxplink.evt.mes.batch_state_changed", "B-1"),
                        draft("io.gxplink.evt.gxplink.audit_recorded", "B-2")])
    loaded = Board(engine)
    await loaded.load()
    assert [row["batch"] for row in loaded.snapshot()] == ["B-2", "B-1"]
    assert {s: (c.what, c.kind) for s, c in loaded.rows["B-1"].items()} == {
        "mes": ("batch_state_changed", "evt"), "erp": ("release_lot", "cmd")}
    assert loaded.rows["B-2"]["erp"].kind == "audit"


async def test_stop_copes_with_a_stalled_browser(board: Board) -> None:
    stalled = board.subscribe()
    for n in range(QUEUE):
        await board._on_message(_msg("gxp.evt.mes.batch_started", _envelope(f"B-{n}")))
    assert stalled.full()
    await board.stop()
