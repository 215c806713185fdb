"""`gxplink audit` through real processes: ingest from JetStream, trail in every format, review, verify, tamper."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from messaging.connection import connect
from messaging.embedded import EmbeddedNats
from messaging.streams import ensure_streams
from tests.integration.audit.test_writer import docs_for, publish
from tests.support.cli import processes_mentioning, run

pytestmark = pytest.mark.e2e
FIELDS = ("id", "time", "sourcesystem", "actor", "action", "recordtype", "recordid", "correlationid", "hash")


@pytest.fixture(scope="module")
def batch() -> str:
    return f"E2E-{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, batch: str) -> Iterator[Path]:
    """A data dir whose JetStream holds one batch's messages, ingested by `gxplink audit ingest`."""
    data = tmp_path_factory.mktemp("audit") / "data"
    server = EmbeddedNats(data)
    server.start()
    try:
        async def fill() -> None:
            nc = await connect(server.url, "test-audit-e2e")
            await ensure_streams(nc.jetstream())
            await publish(nc, docs_for(batch))
            await nc.close()

        asyncio.run(fill())
        ingested = run("audit", "ingest", "--data-dir", str(data))
        assert ingested.returncode == 0, ingested.stderr
        again = run("audit", "ingest", "--data-dir", str(data))
        assert "ingested 0 new" in again.stdout, again.stdout + again.stderr
    finally:
        server.stop()
    yield data
    assert processes_mentioning(str(data)) == []


@pytest.mark.requirement("URS-005", "P11-004")
def test_trail_json_keeps_the_contract(data: Path, batch: str) -> None:
    result = run("audit", "trail", batch, "--format", "json", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    recs = json.loads(result.stdout)
    assert len(recs) == len(docs_for(batch)) and len({r["id"] for r in recs}) == len(recs)
    assert all(field in rec for rec in recs for field in FIELDS)
    assert [r["time"] for r in recs] == sorted(r["time"] for r in recs)
    assert {"mes", "lims", "qms", "erp", "deltav", "gxplink"} <= {r["sourcesystem"] for r in recs}
    released = [r for r in recs if r["action"] == "released" and r["recordtype"] == "lot"]
    assert released and {"field": "status", "old": "quarantine", "new": "released"} in released[0]["changes"]
    only_erp = json.loads(run("audit", "trail", batch, "--format", "json", "--system", "erp",
                              "--data-dir", str(data)).stdout)
    assert only_erp and {r["sourcesystem"] for r in only_erp} <= {"erp", "gxplink"}


@pytest.mark.requirement("P11-004", "P11-012")
def test_trail_csv_pdf_graph_and_review(data: Path, batch: str, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(run("audit", "trail", batch, "--format", "csv", "--data-dir",
                                           str(data)).stdout)))
    assert rows[0][:3] == ["time", "id", "sourcesystem"] and len(rows) == len(docs_for(batch)) + 1
    pdf = tmp_path / "trail.pdf"
    result = run("audit", "trail", batch, "--format", "pdf", "--out", str(pdf), "--data-dir", str(data))
    assert result.returncode == 0 and pdf.read_bytes()[:4] == b"%PDF", result.stderr
    graph = json.loads(run("audit", "graph", f"LOT-{batch}", "--format", "json", "--data-dir", str(data)).stdout)
    assert graph["anchors"] == [batch]
    review = run("audit", "review", batch, "--data-dir", str(data))
    assert review.returncode == 0 and "signature" in review.stdout and "Maria Huber" in review.stdout


@pytest.mark.requirement("P11-011")
def test_verify_passes_then_detects_edits_and_deletions(data: Path, batch: str, tmp_path: Path) -> None:
    assert run("audit", "checkpoint", "--data-dir", str(data)).returncode == 0
    intact = run("audit", "verify", "--data-dir", str(data))
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stdout + intact.stderr
    for table, statement in (
        ("audit_records", f"UPDATE audit_records SET content = replace(content, '{batch}', '{batch}X') "
                          "WHERE seq = 4"),
        ("audit_records", "DELETE FROM audit_records WHERE seq = 6"),
    ):
        copy = tmp_path / f"copy-{uuid.uuid4().hex[:6]}"
        shutil.copytree(data, copy, ignore=shutil.ignore_patterns("nats"))
        con = sqlite3.connect(copy / "gxplink.db")
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (table,)):
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute(statement)
        con.commit()
        con.close()
        broken = run("audit", "verify", "--data-dir", str(copy))
        assert broken.returncode == 1 and "first broken record" in broken.stdout, broken.stdout + broken.stderr


def test_a_data_dir_without_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run("audit", "verify", "--data-dir", str(tmp_path))
    assert result.returncode == 1 and "no gxplink database" in result.stderr and "Traceback" not in result.stderr
