"""An in-memory MES for unit and contract tests, answering like the real MES's REST API.

Batches follow the MES lifecycle (409 `invalid-transition` otherwise), every change is a change-feed
record and an audit entry, a reference attached twice is a 409, and unknown batches are 404. It can
be switched "down" (RetryableError, as a refused connection gives) and made to deliver every feed
record twice (the at-least-once feed). The interface account is `svc-integration`, as the MES's.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from adapters.mes.api import MesProblem, Page
from messaging.errors import RetryableError

ACCOUNT = "svc-integration"
TRANSITIONS = {"release": ({"created"}, "released"), "start": ({"released"}, "in_execution"),
               "hold": ({"in_execution"}, "on_hold"), "resume": ({"on_hold"}, "in_execution"),
               "complete": ({"in_execution"}, "completed"), "abort": ({"in_execution", "on_hold"}, "aborted"),
               "cancel": ({"created", "released"}, "cancelled")}

UNITS = {"CP-1", "SEL-101", "BR-101", "CW-101", "FF-101", "CRF-101"}
MASTER_BATCH_RECORD: dict[str, Any] = {
    "id": "MR-CART19", "version": 3, "status": "approved", "product": "CART-19",
    "steps": [{"step_id": "PH-0501", "name": "Expand", "unit_procedure": "Expansion", "equipment_id": "BR-101",
               "parameters": [{"name": "Temperature", "sp": 37.0, "lo": 36.5, "hi": 37.5, "unit": "Cel",
                               "class": "CPP"}]}]}


class FakeMesClient:
    url = "fake://mes"

    def __init__(self) -> None:
        self.batches: dict[str, dict[str, Any]] = {}
        self.feed: list[dict[str, Any]] = []
        self.audit_trail: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (operation, batch id, body) of every write
        self.down = False
        self.duplicate_feed = False
        self.master_records: dict[str, list[dict[str, Any]]] = {}  # id -> versions, oldest first

    # scenario helpers (what the shop floor does)
    def create_batch(self, batch_id: str, user: str = "sup.kchen") -> dict[str, Any]:
        batch = {"batch_id": batch_id, "master_batch_record_id": "MR-CART19", "master_batch_record_version": 3,
                 "product": "CART-19", "lot": f"L-{batch_id}", "state": "created", "created_at": _now(),
                 "created_by": user, "hold_reason": None, "planned_quantity": {"value": 140.0, "unit": "mL"},
                 "qc_summaries": [], "external_references": []}
        self.batches[batch_id] = batch
        self._audit(user, "create", "batch", batch_id, "state", None, "created", None)
        self.append("batch_created", batch_id, "batch", batch_id, user,
                    {"master_batch_record_id": "MR-CART19", "product": "CART-19", "lot": batch["lot"],
                     "state": "created"})
        return batch

    def append(self, kind: str, batch_id: str | None, record_type: str, record_id: str, user: str,
               data: dict[str, Any]) -> dict[str, Any]:
        record = {"seq": len(self.feed) + 1, "type": kind, "at": _now(), "user": user, "batch_id": batch_id,
                  "record_type": record_type, "record_id": record_id, "data": data}
        self.feed.append(record)
        return record

    def _audit(self, user: str, action: str, record_type: str, record_id: str, field: str | None, old: Any,
               new: Any, reason: str | None) -> None:
        self.audit_trail.append({"seq": len(self.audit_trail) + 1, "at": _now(), "user": user, "action": action,
                                 "record_type": record_type, "record_id": record_id, "field": field, "old": old,
                                 "new": new, "reason": reason})

    def _reachable(self) -> None:
        if self.down:
            raise RetryableError("fake MES is down")

    def _batch(self, batch_id: str) -> dict[str, Any]:
        self._reachable()
        if batch_id not in self.batches:
            raise MesProblem(404, f"no batch {batch_id!r}", "batch-not-found")
        return self.batches[batch_id]

    # MesApi
    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def probe(self) -> bool:
        return not self.down

    async def events(self, after: int, limit: int) -> Page:
        self._reachable()
        page = self.feed[after:after + limit]
        delivered = [r for record in page for r in ([record, record] if self.duplicate_feed else [record])]
        return Page(copy.deepcopy(delivered), bool(page) and page[-1]["seq"] < len(self.feed))

    async def audit(self, after: int, limit: int) -> Page:
        self._reachable()
        entries = self.audit_trail[after:after + limit]
        return Page(copy.deepcopy(entries), len(entries) >= limit)

    async def batch(self, batch_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._batch(batch_id))

    async def master_batch_record(self, mbr_id: str) -> dict[str, Any]:
        self._reachable()
        if mbr_id != MASTER_BATCH_RECORD["id"]:
            raise MesProblem(404, f"master batch record {mbr_id} not found", "not-found")
        return copy.deepcopy(MASTER_BATCH_RECORD)

    async def create_master_batch_record(self, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Versions by content like the MES: what it holds is answered again; a unit it lacks is a 422."""
        self._reachable()
        if unknown := sorted(set(body.get("equipment_binding", {}).values()) - UNITS):
            raise MesProblem(422, f"{unknown[0]!r} is not equipment of this plant", "unknown-equipment")
        content = {k: v for k, v in body.items() if k not in ("reason", "user")}
        versions = self.master_records.setdefault(body["id"], [])
        for held in versions:
            if held["content"] == content:
                return copy.deepcopy(held["record"]), False
        self.calls.append(("master_batch_record", body["id"], body))
        for held in versions:
            held["record"]["status"] = "superseded"
        record = {"id": body["id"], "version": len(versions) + 1, "status": "approved", "product": body["product"],
                  "recipe_version": body.get("recipe_version")}
        versions.append({"content": content, "record": record})
        self._audit(ACCOUNT, "create", "master_batch_record", body["id"], "version", len(versions) - 1 or None,
                    record["version"], body.get("reason"))
        return copy.deepcopy(record), True

    async def transition(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        batch, action = self._batch(batch_id), body.get("action", "")
        if action not in TRANSITIONS:
            raise MesProblem(422, f"unknown action {action!r}", "unknown-transition")
        sources, target = TRANSITIONS[action]
        if batch["state"] not in sources:
            raise MesProblem(409, f"cannot {action} batch {batch_id} in state {batch['state']!r}",
                             "invalid-transition")
        self.calls.append(("transition", batch_id, body))
        previous, batch["state"] = batch["state"], target
        batch["hold_reason"] = body.get("reason") if target == "on_hold" else None
        self._audit(ACCOUNT, action, "batch", batch_id, "state", previous, target, body.get("reason"))
        self.append("batch_state_changed", batch_id, "batch", batch_id, ACCOUNT,
                    {"previous_state": previous, "state": target, "action": action, "reason": body.get("reason")})
        return copy.deepcopy(batch)

    async def qc_summaries(self, batch_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._batch(batch_id)["qc_summaries"])

    async def record_qc_summary(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        batch = self._batch(batch_id)
        if batch["state"] not in ("in_execution", "on_hold", "completed"):
            raise MesProblem(409, f"QC results need a batch in execution; {batch_id} is {batch['state']!r}",
                             "batch-state")
        self.calls.append(("qc_summary", batch_id, body))
        results = [{k: r.get(k) for k in ("test_code", "sample_id", "value", "text", "unit", "conforms")}
                   for r in body["results"]]
        summary_id = f"QCS-{len(self.calls):05d}"
        summary = {"summary_id": summary_id, "lims_reference": body.get("lims_reference"),
                   "results": results, "all_conform": all(r["conforms"] for r in results),
                   "recorded_by": ACCOUNT, "recorded_at": _now()}
        batch["qc_summaries"].append(summary)
        self._audit(ACCOUNT, "create", "qc_summary", summary_id, "all_conform", None, summary["all_conform"], None)
        self.append("qc_summary_recorded", batch_id, "qc_summary", summary_id, ACCOUNT, summary)
        return copy.deepcopy(summary)

    async def external_references(self, batch_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._batch(batch_id)["external_references"])

    async def attach_reference(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        batch = self._batch(batch_id)
        key = (body["system"], body["type"], body["reference"])
        if any((r["system"], r["type"], r["reference"]) == key for r in batch["external_references"]):
            raise MesProblem(409, f"{' '.join(key)} is already attached to {batch_id}", "reference-exists")
        self.calls.append(("reference", batch_id, body))
        ref_id = f"XREF-{len(self.calls):05d}"
        ref = {"reference_id": ref_id, **{k: body.get(k) for k in
               ("system", "type", "reference", "description")}, "attached_by": ACCOUNT, "attached_at": _now()}
        batch["external_references"].append(ref)
        self._audit(ACCOUNT, "attach", "external_reference", ref_id, "reference", None, ":".join(key), None)
        self.append("external_reference_attached", batch_id, "external_reference", ref_id, ACCOUNT, ref)
        return copy.deepcopy(ref)

    async def batchml(self, batch_id: str) -> bytes:
        batch = {k: escape(str(v)) for k, v in self._batch(batch_id).items()}
        batch_id = batch["batch_id"]
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<BatchProductionRecord xmlns="http://www.mesa.org/xml/B2MML">'
                f"<ID>BPR-{batch_id}</ID><EntryID>BPR-{batch_id}</EntryID>"
                f"<ObjectType>Batch Production Record</ObjectType><BatchID>{batch_id}</BatchID>"
                f"<LotID>{batch['lot']}</LotID><MaterialDefinitionID>{batch['product']}</MaterialDefinitionID>"
                f"<RecordStatus>{batch['state']}</RecordStatus></BatchProductionRecord>").encode()


def _now() -> str:
    return datetime.now(UTC).isoformat()
