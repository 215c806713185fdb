"""Lot dispositions (SetLotDisposition, ReleaseLot) as QM usage decisions, with If-Match concurrency.

A 412 or 409 is never retried blindly: the batch is re-read and the adapter decides.
- It already has the requested status: the command succeeded (nothing is posted twice).
- Its status moved since the version the write was based on (someone else decided, blocked, or
  rejected it): the command fails permanently, saying what changed; a decision made on a status that
  no longer holds must be made again.
- Only its version moved (a quantity or location change): the write is tried once more with the fresh ETag.
The version a write is based on is `expected_version` when the caller gave one (what the caller saw),
else the ETag the adapter just read. What the status was at a caller's older version is read from the
batch's change documents: in the ERP, as in SAP, every change of the batch writes one change document
and increments the version, so the documents after version N are the changes the caller never saw.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.erp.api import ErpApi, Record
from adapters.erp.problems import ErpRefused, refused
from adapters.framework.commands import Outcome
from canonical_model.envelope import Envelope

log = logging.getLogger(__name__)
TARGET_STATUS = {"release": "released", "reject": "rejected", "block": "blocked"}


class LotDispositions:
    def __init__(self, api: ErpApi) -> None:
        self.api = api

    async def decide(self, command: Envelope[Any], body: Record, target: str) -> Outcome:
        lot_id: str = command.data.lot_id
        lot = await self._read(lot_id)
        if lot["status"] == target:
            return _already(lot, target)
        known = {_etag(lot): lot["status"]}  # status at each version the adapter has seen
        sent = command.data.expected_version or _etag(lot)
        for _ in range(2):  # the write, and at most one more with a fresh ETag
            reply = await self.api.post_usage_decision(lot_id, body, sent)
            if reply.ok:
                return _posted(lot_id, target, reply.body, reply.etag)
            if reply.status not in (409, 412):
                raise refused(reply, f"usage decision for batch {lot_id}")
            lot = await self._read(lot_id)
            if lot["status"] == target:
                return _already(lot, target)
            if reply.status == 409:
                raise ErpRefused(f"batch {lot_id} cannot become {target}: {reply.detail} (it is {lot['status']})",
                                 reply.code or "conflict")
            before = known.get(sent) or await self._status_at(lot_id, sent, lot)
            if before != lot["status"]:
                change = f"its status went from {before} to {lot['status']}" if before else \
                    f"it is {lot['status']} now and what changed cannot be told from its change documents"
                raise ErpRefused(f"batch {lot_id} changed since version {sent}: {change} (now {_etag(lot)}); "
                                 f"the {target} decision was not applied, decide again", "lot_status_changed")
            log.info("erp: batch %s moved from %s to %s with its status unchanged; writing once more",
                     lot_id, sent, _etag(lot))
            known[_etag(lot)] = lot["status"]
            sent = _etag(lot)
        raise ErpRefused(f"batch {lot_id} kept changing while the {target} decision was written (now {_etag(lot)}); "
                         "not applied", "lot_busy")

    async def _read(self, lot_id: str) -> Record:
        lot = await self.api.lot(lot_id)
        if lot is None:
            raise ErpRefused(f"batch {lot_id} does not exist in the ERP", "unknown_lot")
        return lot

    async def _status_at(self, lot_id: str, etag: str, current: Record) -> str | None:
        """The batch's status at the version `etag`, walked back from now through its change documents."""
        version, now = _version(etag), int(current["version"])
        if version is None or version > now:
            return None
        documents = _documents(await self.api.lot_changes(lot_id))
        if len(documents) != now:  # the documents do not account for every version: cannot tell
            return None
        status = str(current["status"])
        for document in reversed(documents[version:]):
            for entry in document:
                if entry.get("field") == "status":
                    status = str(entry.get("old"))
        return status


def _documents(entries: list[Record]) -> list[list[Record]]:
    """Change-document items grouped into documents (one per change: same time and action)."""
    documents: list[list[Record]] = []
    for entry in entries:
        if documents and (documents[-1][0].get("at"), documents[-1][0].get("action")) == \
                (entry.get("at"), entry.get("action")):
            documents[-1].append(entry)
        else:
            documents.append([entry])
    return documents


def _etag(lot: Record) -> str:
    return str(lot.get("@odata.etag") or f'"{lot["version"]}"')


def _version(etag: str) -> int | None:
    tag = etag.strip()
    if tag.startswith("W/") or len(tag) < 3 or not (tag[0] == tag[-1] == '"'):
        return None  # weak or not an ETag: the ERP compares strongly, so it never matched
    return int(tag[1:-1]) if tag[1:-1].isdigit() else None


def _already(lot: Record, target: str) -> Outcome:
    return Outcome(detail=f"batch {lot['id']} is already {target}; nothing posted",
                   references={"lot_id": str(lot["id"]), "etag": _etag(lot)})


def _posted(lot_id: str, target: str, body: Record | None, etag: str | None) -> Outcome:
    decision = (body or {}).get("usage_decision") or {}
    references = {"lot_id": lot_id}
    if decision.get("id"):
        references["usage_decision_id"] = str(decision["id"])
    if etag:
        references["etag"] = etag
    return Outcome(detail=f"usage decision posted: batch {lot_id} is {target}", references=references)
