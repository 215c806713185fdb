"""CSV and PDF renderings of a trail, with the signature manifestations of §11.50."""

from __future__ import annotations

import csv
import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.audit import query, render
from orchestrator.audit.pdf import signatures, write_pdf
from orchestrator.audit.store import AuditStore
from tests.unit.audit.envelopes import batch_drafts

pytestmark = pytest.mark.unit


@pytest.fixture
async def recs(store: AuditStore, engine: AsyncEngine) -> list[dict[str, Any]]:
    await store.append(batch_drafts("B-R"))
    return await query.trail(engine, "B-R")


@pytest.mark.requirement("P11-004")
def test_csv_has_a_header_and_one_row_per_record(recs: list[dict[str, Any]]) -> None:
    rows = list(csv.DictReader(io.StringIO(render.trail_csv(recs))))
    assert len(rows) == len(recs) and set(render.CSV_COLUMNS) == set(rows[0])
    released = next(r for r in rows if r["action"] == "released")
    assert "status: quarantine -> released" in released["changes"]
    assert released["hash"] == next(r["hash"] for r in recs if r["action"] == "released")


@pytest.mark.requirement("P11-005")
def test_signatures_are_manifested_with_name_time_and_meaning(recs: list[dict[str, Any]]) -> None:
    found = {s["signer"]: s for s in signatures(recs)}
    assert found["Maria Huber"]["meaning"] == "released"
    assert found["Maria Huber"]["time"] == "2026-03-08T14:00:00Z"
    assert found["Maria Huber"]["record"] == "lot_disposition LOT-B-R"


@pytest.mark.requirement("P11-004", "P11-005")
def test_pdf_is_written_with_the_signatures(recs: list[dict[str, Any]], tmp_path: Path) -> None:
    path = write_pdf(recs, tmp_path / "out" / "trail.pdf", subject="B-R", verified="intact")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = b"".join(_inflate(chunk) for chunk in data.split(b"stream")[1:])
    assert b"Maria Huber" in text and b"released" in text


def _inflate(chunk: bytes) -> bytes:
    try:
        return zlib.decompress(chunk.lstrip(b"\r\n"))
    except zlib.error:
        return chunk
