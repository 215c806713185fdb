"""MES commands: the outbound mappings render the request body, the handler posts it and reads the answer.

A command may be executed again after its first answer was lost (a timeout while the MES did act, a
redelivery after a crash), so each handler makes "already done" a success rather than an error:
- HoldBatch / ResumeBatch: on 409 the batch is re-read; already on hold (or running again) is success.
- AttachExternalReference: on 409 the batch's references are re-read; the same one attached is success.
- RecordQcSummary: the MES has no idempotency key, so its summaries are read first and an identical
  one (same results) is answered as recorded instead of being recorded twice.
- ProvisionMasterRecipe: the MES recognises content it holds (200 with that version) and versions
  anything else itself, so posting again is safe; an older or conflicting recipe version is its 409.
Anything else the MES refuses is a PermanentError with the problem's detail (code: its type).
"""

from __future__ import annotations

from typing import Any

from adapters.framework.commands import Handler, Outcome
from adapters.mes.api import MesApi, MesProblem
from canonical_model.commands.mes import (
    AttachExternalReference,
    HoldBatch,
    ProvisionMasterRecipe,
    RecordQcSummary,
    ResumeBatch,
)
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from mappings.engine.outbound import OutboundMapping
from messaging.errors import PermanentError

RESULT_KEYS = ("test_code", "sample_id", "value", "text", "unit", "conforms")


class MesCommands:
    def __init__(self, catalog: Catalog, client: MesApi | None) -> None:
        self.catalog, self.client = catalog, client

    def handlers(self) -> dict[str, Handler]:
        return {HoldBatch.ce_type(): self.hold, ResumeBatch.ce_type(): self.resume,
                RecordQcSummary.ce_type(): self.record_qc_summary,
                AttachExternalReference.ce_type(): self.attach_reference,
                ProvisionMasterRecipe.ce_type(): self.provision_master_recipe}

    async def hold(self, command: Envelope[Any]) -> Outcome:
        return await self._transition(command, "mes/hold_batch", "on_hold", "put on hold")

    async def resume(self, command: Envelope[Any]) -> Outcome:
        return await self._transition(command, "mes/resume_batch", "in_execution", "resumed")

    async def _transition(self, command: Envelope[Any], mapping: str, target: str, done: str) -> Outcome:
        client, body = self._api(), self._render(mapping, command)
        batch_id = command.data.batch_id
        try:
            await client.transition(batch_id, body)
        except MesProblem as exc:
            if exc.status != 409:
                raise
            state = (await client.batch(batch_id)).get("state")
            if state != target:
                raise
            return Outcome(detail=f"batch {batch_id} was already {target} in the MES; nothing changed",
                           references={"batch_id": batch_id, "mes_state": target})
        return Outcome(detail=f"batch {batch_id} {done} in the MES", references={"batch_id": batch_id,
                                                                                  "mes_state": target})

    async def record_qc_summary(self, command: Envelope[Any]) -> Outcome:
        client, body = self._api(), self._render("mes/record_qc_summary", command)
        batch_id = command.data.batch_id
        wanted = _results(body.get("results", []))
        for existing in await client.qc_summaries(batch_id):
            if _results(existing.get("results", [])) == wanted:
                return Outcome(detail=f"the MES already holds these results for batch {batch_id}",
                               references={"qc_summary_id": str(existing.get("summary_id"))})
        summary = await client.record_qc_summary(batch_id, body)
        verdict = "all conform" if summary.get("all_conform") else "not all conform"
        return Outcome(detail=f"QC summary recorded on batch {batch_id} ({verdict})",
                       references={"qc_summary_id": str(summary.get("summary_id"))})

    async def attach_reference(self, command: Envelope[Any]) -> Outcome:
        client, body = self._api(), self._render("mes/attach_external_reference", command)
        batch_id = command.data.batch_id
        key = (body.get("system"), body.get("type"), body.get("reference"))
        try:
            ref = await client.attach_reference(batch_id, body)
            detail = f"{':'.join(map(str, key))} attached to batch {batch_id}"
        except MesProblem as exc:
            if exc.status != 409:
                raise
            found = [r for r in await client.external_references(batch_id)
                     if (r.get("system"), r.get("type"), r.get("reference")) == key]
            if not found:
                raise
            ref, detail = found[0], f"{':'.join(map(str, key))} was already attached to batch {batch_id}"
        return Outcome(detail=detail, references={"reference_id": str(ref.get("reference_id"))})

    async def provision_master_recipe(self, command: Envelope[Any]) -> Outcome:
        client, body = self._api(), self._render("mes/provision_master_recipe", command)
        record, created = await client.create_master_batch_record(body)
        held = f"master batch record {record.get('id')} version {record.get('version')}"
        recipe = f"recipe {body.get('id')} version {body.get('recipe_version')}"
        if created:
            detail = f"{held} created from {recipe}"
        else:
            status = "" if record.get("status") == "approved" else f", {record.get('status')}"
            detail = f"the MES already held {recipe} as {held}{status}; nothing changed"
        return Outcome(detail=detail, references={"master_batch_record_id": str(record.get("id")),
                                                  "master_batch_record_version": str(record.get("version")),
                                                  "transfer_id": command.data.transfer_id})

    def _api(self) -> MesApi:
        if self.client is None:
            raise PermanentError("no MES address configured (GXPLINK_MES_URL)")
        return self.client

    def _render(self, name: str, command: Envelope[Any]) -> dict[str, Any]:
        mapping = self.catalog.get(name)
        assert isinstance(mapping, OutboundMapping)
        try:
            body = mapping.render(command)
        except TranslationError as exc:
            raise PermanentError(f"cannot build the MES request ({name}): {exc}") from None
        assert isinstance(body, dict)
        return body


def _results(results: list[Any]) -> list[tuple[Any, ...]]:
    """Results as the MES keeps them (absent and null are the same), for comparing summaries."""
    return [tuple(r.get(k) for k in RESULT_KEYS) if isinstance(r, dict) else (r,) for r in results]
