"""What a QA person does in the QMS user interface, for tests and the demo scenario.

Actions go through the same store and lifecycle rules as the SOAP operations (a refused step
raises ValueError, which the admin endpoint answers with 422), and are audited under the named
user, who must be one of the plant's users.
"""

from __future__ import annotations

from typing import Any

from simulators.common.base import Action
from simulators.qms.store import QmsStore
from simulators.qms.workflow import KINDS
from simulators.reference import USERS, lot_for_batch

QA_USER = "qa.mlee"
_USERS = {u["id"] for u in USERS}


def public(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """A record as actions return it: its id under `<kind>_id`, as the SOAP types name it."""
    return {f"{kind}_id": record["id"], **{k: v for k, v in record.items() if k != "id"}}


def _user(params: dict[str, Any]) -> str:
    user = str(params.pop("user", None) or QA_USER)
    if user not in _USERS:
        raise ValueError(f"{user!r} has no QMS account; users: {', '.join(sorted(_USERS))}")
    return user


def qa_actions(store: QmsStore) -> dict[str, Action]:
    async def open_deviation(params: dict[str, Any]) -> dict[str, Any]:
        """{title, batch_id?, classification=major, description?, equipment_id?, lot_id?, user?, ...}"""
        fields, user = dict(params), _user(dict(params))
        fields.pop("user", None)
        fields.setdefault("classification", "major")
        fields.setdefault("description", fields.get("title"))
        if fields.get("batch_id") and not fields.get("lot_id"):
            fields["lot_id"] = lot_for_batch(str(fields["batch_id"]))
        return {"deviation": public("deviation", store.create("deviation", fields, user))}

    async def advance_deviation(params: dict[str, Any]) -> dict[str, Any]:
        """{id, to, reason, user?}"""
        user = _user(dict(params))
        record = store.transition("deviation", str(params["id"]), str(params["to"]), params.get("reason"), user)
        return {"deviation": public("deviation", record)}

    async def open_investigation(params: dict[str, Any]) -> dict[str, Any]:
        """{deviation_id, title?, owner?, user?}"""
        user = _user(dict(params))
        fields: dict[str, Any] = {k: params[k] for k in ("deviation_id", "title", "owner") if k in params}
        return {"investigation": public("investigation", store.create("investigation", fields, user))}

    async def complete_investigation(params: dict[str, Any]) -> dict[str, Any]:
        """{id, root_cause, category=unknown, reason, user?}: records the root cause and completes it."""
        user, rid, reason = _user(dict(params)), str(params["id"]), params.get("reason")
        values = {"root_cause": str(params["root_cause"]), "root_cause_category": params.get("category", "unknown")}
        store.update("investigation", rid, values, reason, user)
        if store.get("investigation", rid)["status"] == "open":
            store.transition("investigation", rid, "in_progress", reason, user)
        return {"investigation": public("investigation", store.transition("investigation", rid, "completed",
                                                                          reason, user))}

    async def open_capa(params: dict[str, Any]) -> dict[str, Any]:
        """{title, capa_type=corrective, deviation_ids=[], description?, owner?, user?}"""
        user = _user(dict(params))
        names = ("title", "description", "owner", "deviation_ids", "change_control_ids", "due_date")
        fields: dict[str, Any] = {k: params[k] for k in names if k in params}
        fields["capa_type"] = params.get("capa_type", "corrective")
        return {"capa": public("capa", store.create("capa", fields, user))}

    async def advance_capa(params: dict[str, Any]) -> dict[str, Any]:
        """{id, to, reason, effectiveness_result?, user?}"""
        user, rid, reason = _user(dict(params)), str(params["id"]), params.get("reason")
        if params.get("effectiveness_result"):
            store.update("capa", rid, {"effectiveness_result": params["effectiveness_result"]}, reason, user)
        return {"capa": public("capa", store.transition("capa", rid, str(params["to"]), reason, user))}

    async def records(params: dict[str, Any]) -> dict[str, Any]:
        """{}: per kind the count by status and each record's id, status and title; the feed cursor."""
        summary: dict[str, Any] = {"cursor": store.cursor}
        for kind in KINDS:
            found = store.all(kind)
            by_status: dict[str, int] = {}
            for r in found:
                by_status[r["status"]] = by_status.get(r["status"], 0) + 1
            summary[f"{kind}s"] = {"count": len(found), "by_status": by_status, "records": [
                {f"{kind}_id": r["id"], "status": r["status"], "title": r.get("title")} for r in found]}
        return summary

    return {f.__name__: f for f in (open_deviation, advance_deviation, open_investigation, complete_investigation,
                                    open_capa, advance_capa, records)}
