"""The audit writer against a real nats-server: several systems, one batch, restarts and duplicates.

Streams are shared with the rest of the session, so every test uses its own batch id and durable
consumer names, and asserts only on its own batch.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model import subjects
from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.publisher import Publisher
from orchestrator.audit import query
from orchestrator.audit.keys import load_verifier
from orchestrator.audit.review import review
from orchestrator.audit.verify import verify
from orchestrator.audit.writer import AuditWriter
from storage.engine import default_url, make_engine
from tests.unit.audit.envelopes import example

pytestmark = pytest.mark.integration

FAMILIES = (
    "evt.mes.batch_created", "evt.mes.sample_pulled", "evt.mes.step_signed_off", "evt.lims.sample_received",
    "evt.lims.test_result_recorded", "evt.qms.deviation_opened", "evt.erp.lot_created", "evt.erp.lot_released",
    "evt.deltav.process_value_recorded", "evt.gxplink.signature_recorded", "evt.gxplink.workflow_started",
    "cmd.erp.release_lot", "cmd.mes.hold_batch",
)


async def publish(nc: Client, docs: list[dict[str, Any]], *, msg_id_suffix: str = "") -> None:
    publisher = Publisher(nc.jetstream())
    for doc in docs:
        family = doc["type"].rsplit(".v", 1)[0]
        _, _, kind, system, name = family.split(".")
        if name == "audit_recorded":
            subject = subjects.audit_subject(doc["data"]["record"]["source_system"])
        elif kind == "cmd":
            subject = subjects.command_subject(system, name)
        else:
            subject = subjects.event_subject(system, name)
        await publisher.publish_bytes(subject, json.dumps(doc).encode(), {"Nats-Msg-Id": doc["id"] + msg_id_suffix})


def docs_for(batch: str) -> list[dict[str, Any]]:
    docs = [example(f"io.gxplink.{family}", batch, correlationid=batch) for family in FAMILIES]
    native = example("io.gxplink.evt.gxplink.audit_recorded", batch, correlationid=batch)
    native["data"]["record"]["source_system"] = "lims"
    return [*docs, native]


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    engine = make_engine(default_url(tmp_path))
    yield engine
    await engine.dispose()


def writer(nc: Client, engine: AsyncEngine, tmp_path: Path, token: str) -> AuditWriter:
    return AuditWriter(nc.jetstream(), engine, tmp_path / "keys", durable_prefix=f"audit-{token}")


@pytest.mark.requirement("URS-005")
async def test_records_every_system_once_across_restarts_and_duplicates(
        nc: Client, engine: AsyncEngine, tmp_path: Path, token: str) -> None:
    batch = f"B-{token}"
    first = docs_for(batch)
    await publish(nc, first[:8])
    one = writer(nc, engine, tmp_path, token)
    await one.start()
    await one.catch_up(timeout=30)
    await one.stop()

    await publish(nc, first[8:])
    await publish(nc, first[:5], msg_id_suffix="-again")  # same CloudEvents ids, past JetStream's dedupe
    two = writer(nc, engine, tmp_path, token)
    await two.catch_up(timeout=30)
    await two.stop()

    trail = await query.trail(engine, batch)
    counts = Counter(r["id"] for r in trail)
    assert set(counts) == {d["id"] for d in first} and set(counts.values()) == {1}
    assert {r["sourcesystem"] for r in trail} == {"mes", "lims", "qms", "erp", "deltav", "gxplink"}
    assert any(r["recordtype"] == "lot" and "releas" in r["action"] for r in trail)
    report = await verify(engine, load_verifier(tmp_path / "keys"))
    assert report.ok, report.problems
    assert report.covered_upto == report.records  # stop() and catch_up() sign the head

    graph = await query.graph_of(engine, f"S-{batch}-07")
    assert batch in graph.anchors and f"LOT-{batch}" in graph.followed


@pytest.mark.requirement("P11-012")
async def test_dead_letters_touching_the_batch_reach_the_review(
        nc: Client, engine: AsyncEngine, tmp_path: Path, token: str) -> None:
    batch = f"B-{token}"
    publisher = Publisher(nc.jetstream())
    await publish(nc, [example("io.gxplink.evt.mes.batch_created", batch, correlationid=batch)])
    broken = example("io.gxplink.evt.lims.test_result_recorded", batch, correlationid=batch)
    broken["data"]["result"]["value"] = "not a number"
    await publisher.publish_bytes(subjects.event_subject("lims", "test_result_recorded"), json.dumps(broken).encode(),
                                  {"Nats-Msg-Id": broken["id"]})
    hl7 = DeadLetter.of("lims", "unknown test code XYZ", f"MSH|^~\\&|LIMS\rOBR|1||{batch}\r".encode())
    await send_to_dead_letters(publisher, hl7)

    audit = writer(nc, engine, tmp_path, token)
    await audit.catch_up(timeout=30)
    await audit.catch_up(timeout=30)  # the writer's own dead letter of the broken envelope comes back
    await audit.stop()

    letters = [f for f in await review(engine, batch) if f["category"] == "dead_letter"]
    reasons = " | ".join(f["detail"] for f in letters)
    assert "unknown test code XYZ" in reasons and "not a canonical envelope" in reasons, reasons
    assert (await verify(engine, load_verifier(tmp_path / "keys"))).ok


async def test_ingest_is_idempotent_for_two_writers_on_one_store(
        nc: Client, engine: AsyncEngine, tmp_path: Path, token: str) -> None:
    batch = f"B-{token}"
    await publish(nc, docs_for(batch))
    a = writer(nc, engine, tmp_path, token)
    b = AuditWriter(nc.jetstream(), engine, tmp_path / "keys", durable_prefix=f"audit-{token}-other")
    await a.start()
    await b.start()
    await a.catch_up(timeout=30)
    await b.catch_up(timeout=30)
    await a.stop()
    await b.stop()
    ids = [r["id"] for r in await query.trail(engine, batch)]
    assert len(ids) == len(set(ids)) == len(FAMILIES) + 1
    assert (await verify(engine, load_verifier(tmp_path / "keys"))).ok
    assert str(uuid.UUID(ids[0]))
