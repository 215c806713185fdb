"""The CDMO's transfer desk: receives the sponsor's packages, refuses a bad one with the precise reason,
diffs a good one against the version imported before, maps the sponsor's codes to this site's, and
starts the tech_transfer workflow (QA approval with an e-signature, then provisioning through the
adapters). Every step is reported back on gxp.transfer.cdmo.status, which crosses to the sponsor.

Nothing is provisioned before the workflow's approval; a refused package never starts one. The
workflow instance id derives from the transfer id and the content hash, so a package received twice
(a resend, a redelivery) starts nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from canonical_model import subjects
from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import TransferPackageShared, TransferStatusReported
from canonical_model.ids import deterministic_id
from messaging.consumer import ConsumerSpec, DurableConsumer
from messaging.errors import PermanentError
from messaging.publisher import Publisher, headers_for
from messaging.streams import TRANSFER
from orchestrator.engine.store import WorkflowStore
from orchestrator.transfer import ledger
from orchestrator.transfer.diff import diff_definitions
from orchestrator.transfer.library import load_site_map
from orchestrator.transfer.package import from_bytes, load_public_key
from orchestrator.transfer.site_map import apply_site_map, equipment_binding, mapping_problems
from orchestrator.transfer.verify import verify

log = logging.getLogger(__name__)
WORKFLOW = "tech_transfer"
INTAKE = ConsumerSpec(durable="gxplink-transfer-desk", stream=TRANSFER.name,
                      filter_subject=subjects.transfer_subject("sponsor", "package"), max_deliver=20, ack_wait=60.0)
StartWorkflow = Callable[..., Awaitable[str]]
PROGRESS = {"completed": {"provisioned": "provisioned", "rejected": "rejected"}, "failed": {}}


class TransferDesk:
    def __init__(self, js: JetStreamContext, store: WorkflowStore, start_workflow: StartWorkflow, *,
                 trusted_key: Path, site_map: str = "cdmo-example", poll: float = 1.0) -> None:
        self.js, self.store, self.start_workflow = js, store, start_workflow
        self.trusted_key, self.site_map_id, self.poll = trusted_key, site_map, poll
        self.publisher = Publisher(js)
        self.consumer = DurableConsumer(js, INTAKE, self.take, publisher=self.publisher, origin="transfer")
        self._reported: set[tuple[str, str, str]] = set()  # (transfer, status, content hash) told already
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._reported = {(s["transfer_id"], s["status"], s.get("content_hash") or "") for s in
                          await ledger.statuses(self.js)}
        self._stop.clear()
        sub = await self.consumer.subscribe()
        self._tasks = [asyncio.create_task(self.consumer.run(self._stop, bound=sub), name="transfer-desk"),
                       asyncio.create_task(self._follow(), name="transfer-desk-progress")]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    # receiving ----------------------------------------------------------------------------
    async def take(self, msg: Msg) -> None:
        try:
            shared = TransferPackageShared.model_validate(json.loads(msg.data)["data"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(f"not a transfer package message: {exc}") from exc
        raw = json.dumps(shared.package).encode()
        problems = verify(raw, load_public_key(self.trusted_key.read_bytes()))
        site_map = load_site_map(self.site_map_id)
        if not problems:
            problems = mapping_problems(from_bytes(raw).definition, site_map)
        if problems:
            await self.report(shared.transfer_id, "refused", shared.content_hash, [str(p) for p in problems])
            return
        package = from_bytes(raw)
        previous = await self._previous(package.definition.definition_id, shared.transfer_id)
        diff = diff_definitions(previous, package.definition) if previous is not None else None
        mapped = apply_site_map(package, site_map)
        summary = diff.render_text() if diff is not None else "first version at this site"
        await self.start_workflow(WORKFLOW, shared.transfer_id, {
            "transfer_id": shared.transfer_id, "content_hash": shared.content_hash,
            "sponsor_site": shared.sponsor_site, "site": site_map.site,
            "received": package.definition.model_dump(mode="json"), "definition": mapped.model_dump(mode="json"),
            "equipment_binding": equipment_binding(mapped, site_map), "diff": summary},
            instance_id=deterministic_id("workflow", WORKFLOW, shared.transfer_id, shared.content_hash))
        await self.report(shared.transfer_id, "received", shared.content_hash,
                          ["verified: content hash, approver e-signature and sponsor seal; codes mapped with "
                           f"site map {site_map.id}", summary.splitlines()[0] if summary else ""],
                          diff.to_json() if diff is not None else {"changes": [], "first_version": True})

    async def _previous(self, definition_id: str, transfer_id: str) -> Any:
        """The definition as received in the last transfer of the same process that was provisioned here."""
        from canonical_model.process_definition import ProcessDefinition

        done = [i for i in await self.store.list_instances("completed") if i["workflow"] == WORKFLOW
                and i["result"] == "provisioned" and i["business_key"] != transfer_id
                and i["input"].get("received", {}).get("definition_id") == definition_id]
        if not done:
            return None
        latest = max(done, key=lambda i: i["started_at"])
        return ProcessDefinition.model_validate(latest["input"]["received"])

    # reporting ----------------------------------------------------------------------------
    async def report(self, transfer_id: str, status: str, content_hash: str | None, reasons: list[str],
                     diff: dict[str, Any] | None = None) -> None:
        key = (transfer_id, status, content_hash or "")
        if key in self._reported:
            return
        data = TransferStatusReported(transfer_id=transfer_id, site=load_site_map(self.site_map_id).site,
                                      status=status, content_hash=content_hash,
                                      reasons=tuple(r for r in reasons if r), diff=diff)
        envelope = Envelope.wrap(data, id=deterministic_id("transfer-status", *key[:2], key[2] or "-"),
                                 source="/gxplink/transfer/desk", actor="service:gxplink-transfer-desk",
                                 sourcesystem="gxplink", subject=f"transfer/{transfer_id}", correlationid=transfer_id)
        await self.publisher.publish_bytes(subjects.transfer_subject("cdmo", "status"), envelope.to_json(),
                                           headers_for(envelope))
        self._reported.add(key)
        log.info("transfer %s: %s", transfer_id, status)

    async def _follow(self) -> None:
        """Report approval, rejection, provisioning and failure as the workflows get there."""
        while not self._stop.is_set():
            try:
                await self._progress()
            except Exception:
                log.warning("transfer desk: progress pass failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll)

    async def _progress(self) -> None:
        for instance in await self.store.list_instances():
            if instance["workflow"] != WORKFLOW:
                continue
            tid, digest = instance["business_key"], instance["input"].get("content_hash")
            for task in await self.store.tasks_of(instance["id"]):
                signature = task.get("signature")
                if signature:
                    meaning = "approved" if signature["meaning"] == "approved" else "rejected"
                    await self.report(tid, meaning, digest, [f"{meaning} by {signature['signer_name']} "
                                                             f"({signature['signer_id']}) at {signature['signed_at']}"])
            outcome = PROGRESS.get(instance["status"], {}).get(instance["result"] or "")
            if instance["status"] == "failed":
                outcome = "failed"
            if outcome:
                await self.report(tid, outcome, digest, [f"workflow {instance['id']}: {instance['result'] or ''}"])
