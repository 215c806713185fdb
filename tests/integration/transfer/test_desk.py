"""The CDMO's transfer desk on a real nats-server: a sound package starts one approval workflow and is
reported received with its diff; every bad package is refused with the precise reason and starts nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from orchestrator.engine.store import WorkflowStore
from orchestrator.transfer import ledger
from orchestrator.transfer.desk import INTAKE, TransferDesk
from orchestrator.transfer.package import build_package, public_key_pem, seal, to_bytes
from orchestrator.transfer.sponsor import share
from storage.engine import default_url, make_engine
from tests.unit.transfer.helpers import car_t, edited, sealed

pytestmark = pytest.mark.integration
SPONSOR_KEY = Ed25519PrivateKey.generate()


class Started:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []

    async def __call__(self, workflow: str, key: str, values: dict[str, Any], instance_id: str = "") -> str:
        self.calls.append((workflow, key, values, instance_id))
        return instance_id


async def _desk(nc: Client, tmp_path: Path) -> tuple[TransferDesk, Started]:
    trusted = tmp_path / "sponsor-public-key.pem"
    trusted.write_bytes(public_key_pem(SPONSOR_KEY.public_key()))
    engine = make_engine(default_url(tmp_path))
    store = WorkflowStore(engine)
    await store.create_schema()
    started = Started()
    desk = TransferDesk(nc.jetstream(), store, started, trusted_key=trusted)
    # the session's server keeps other tests' packages: this desk takes only what arrives after it starts
    desk.consumer.spec = replace(INTAKE, durable=f"desk-{uuid.uuid4().hex[:8]}", deliver_policy=DeliverPolicy.NEW)
    await desk.start()
    return desk, started


async def _answers(nc: Client, transfer_id: str, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        found = await ledger.statuses(nc.jetstream(), transfer_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    return await ledger.statuses(nc.jetstream(), transfer_id)


@pytest.mark.requirement("URS-009")
async def test_a_sound_package_starts_one_workflow_and_is_reported_received(nc: Client, tmp_path: Path) -> None:
    desk, started = await _desk(nc, tmp_path)
    try:
        tid = f"TT-{uuid.uuid4().hex[:8]}"
        raw = to_bytes(_reseal(sealed(SPONSOR_KEY).model_copy(update={"transfer_id": tid})))
        await share(nc.jetstream(), raw)
        await share(nc.jetstream(), raw)  # sent twice: the same message id, one delivery
        (received,) = await _answers(nc, tid, 1)
        assert received["status"] == "received" and "verified" in received["reasons"][0]
        assert received["diff"] == {"changes": [], "first_version": True}
        (call,) = started.calls
        workflow, key, values, instance_id = call
        assert (workflow, key) == ("tech_transfer", tid) and instance_id
        assert values["definition"]["equipment_classes"] != values["received"]["equipment_classes"], \
            "the CDMO's codes replaced the sponsor's"
    finally:
        await desk.stop()


def _reseal(package: Any, key: Ed25519PrivateKey = SPONSOR_KEY) -> Any:
    """Sealed again after its transfer id changed (the id is part of the sealed content)."""
    fresh = build_package(package.definition.model_copy(update={"status": "draft", "content_hash": None}),
                          transfer_id=package.transfer_id, sponsor_site=package.sponsor_site,
                          created_at=package.created_at)
    return seal(fresh, signer_id="qa.jsmith", signer_name="Jo Smith", signed_at=package.created_at,
                private_key=key)


def _tampered(raw: bytes) -> bytes:
    doc = json.loads(raw)
    doc["definition"]["bom"][0]["quantity"]["value"] = doc["definition"]["bom"][0]["quantity"]["value"] + 1
    return json.dumps(doc).encode()


@pytest.mark.requirement("P11-010")
@pytest.mark.parametrize(("damage", "says"), [
    ("tampered", "hash"),
    ("other_key", "not with the trusted sponsor key"),
    ("unknown_unit", "unit"),
    ("unmapped", "no entry in site map"),
])
async def test_a_bad_package_is_refused_with_the_reason_and_starts_nothing(nc: Client, tmp_path: Path, damage: str,
                                                                           says: str) -> None:
    desk, started = await _desk(nc, tmp_path)
    tid = f"TT-{uuid.uuid4().hex[:8]}"
    try:
        definition = car_t()
        key = Ed25519PrivateKey.generate() if damage == "other_key" else SPONSOR_KEY
        if damage == "unknown_unit":
            definition = edited(definition, lambda d: d["bom"][0]["quantity"].update(unit="furlong"))
        if damage == "unmapped":
            definition = edited(definition, lambda d: d["equipment_classes"].append("flux_capacitor"))
        raw = to_bytes(_reseal(sealed(key, definition).model_copy(update={"transfer_id": tid}), key))
        await share(nc.jetstream(), _tampered(raw) if damage == "tampered" else raw)
        (refused,) = await _answers(nc, tid, 1)
        assert refused["status"] == "refused", refused
        assert any(says in reason for reason in refused["reasons"]), refused["reasons"]
        await asyncio.sleep(0.3)
        assert started.calls == [], "nothing is provisioned from a refused package"
    finally:
        await desk.stop()
