"""Admin actions: what a LIMS user or administrator would do at the LIMS console, for tests and scenarios."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from simulators.common.base import Action, SimContext
from simulators.lims.catalog import resolve
from simulators.lims.lab import ANALYST, Lab
from simulators.lims.oml import OrderLine, OrderRequest
from simulators.lims.outbound import Outbox
from simulators.lims.store import DEFAULT_SETTINGS, LimsStore

ADMIN = "sup.kchen"
_LIMITS = {"result_delay_seconds": (0.0, 86_400.0), "ack_timeout_seconds": (0.05, 600.0),
           "max_retries": (0, 100), "retry_backoff_seconds": (0.0, 3600.0)}


def _summary(order: dict[str, Any]) -> dict[str, Any]:
    return {k: order[k] for k in ("order_id", "placer_order", "batch_id", "sample_id", "status", "source",
                                  "received_at", "comments", "lines", "results")}


class LimsActions:
    def __init__(self, store: LimsStore, ctx: SimContext, lab: Lab, outbox: Outbox) -> None:
        self.store, self.ctx, self.lab, self.outbox = store, ctx, lab, outbox

    def all(self) -> dict[str, Action]:
        return {"set_receiver": self.set_receiver, "configure": self.configure, "create_order": self.create_order,
                "orders": self.orders, "release_results": self.release_results, "correct_result": self.correct_result,
                "cancel_order": self.cancel_order, "outbox": self.list_outbox}

    async def set_receiver(self, params: dict[str, Any]) -> dict[str, Any]:
        """{url: "mllp://host:port", application?, facility?}: where ORU^R01 results go."""
        target = urlsplit(str(params["url"]))
        if target.scheme != "mllp" or not target.hostname or not target.port:
            raise ValueError(f"receiver url must look like mllp://host:port, got {params['url']!r}")
        receiver = self.store.receiver
        new = {"url": f"mllp://{target.hostname}:{target.port}",
               "application": str(params.get("application", receiver["application"])),
               "facility": str(params.get("facility", receiver["facility"]))}
        changes = {k: (receiver.get(k), v) for k, v in new.items() if receiver.get(k) != v}
        receiver.update(new)
        self.store.save()
        if changes:
            self.ctx.audit.record(str(params.get("user", ADMIN)), "update", "interface", "ORU_OUT", changes,
                                  reason=params.get("reason", "receiver configured"))
        self.outbox.retry_now()
        return {"receiver": dict(receiver)}

    async def configure(self, params: dict[str, Any]) -> dict[str, Any]:
        """{result_delay_seconds?, auto_results?, ack_timeout_seconds?, max_retries?, retry_backoff_seconds?}"""
        settings, changes = self.store.settings, {}
        for key, raw in params.items():
            if key in ("user", "reason"):
                continue
            if key not in DEFAULT_SETTINGS:
                raise ValueError(f"unknown setting {key!r}; settings: {sorted(DEFAULT_SETTINGS)}")
            value = _setting(key, raw)
            if settings[key] != value:
                changes[key] = (settings[key], value)
                settings[key] = value
        self.store.save()
        if changes:
            self.ctx.audit.record(str(params.get("user", ADMIN)), "update", "settings", "LIMS", changes,
                                  reason=params.get("reason", "settings changed"))
            self.outbox.retry_now()
        if changes.get("auto_results", (None, False))[1]:
            self.lab.resume()  # orders waiting for results get them now that auto results are on
        return {"settings": dict(settings)}

    async def create_order(self, params: dict[str, Any]) -> dict[str, Any]:
        """{batch_id?, sample_id?, tests?: [codes or CART19-REL], comments?: [...]}: a sample logged at the console."""
        lines = []
        for code in params.get("tests") or [self.store.catalog["panel"]["code"]]:
            tests = resolve(self.store.catalog, str(code))
            if tests is None:
                raise ValueError(f"unknown test code {code!r}")
            lines.append(OrderLine(str(code), tests, str(params.get("placer_order") or "")))
        request = OrderRequest("NW", str(params.get("placer_order") or ""), params.get("batch_id"),
                               params.get("sample_id"), params.get("sample_type"), lines,
                               [str(c) for c in params.get("comments", [])])
        return _summary(self.lab.register(request, str(params.get("user", ANALYST)), "manual"))

    async def orders(self, params: dict[str, Any]) -> dict[str, Any]:
        """{status?, batch_id?, sample_id?}: the order list."""
        keep = [o for o in self.store.orders.values()
                if all(params.get(k) in (None, o.get(k)) for k in ("status", "batch_id", "sample_id"))]
        return {"orders": [_summary(o) for o in keep]}

    async def release_results(self, params: dict[str, Any]) -> dict[str, Any]:
        """{order_id | sample_id | batch_id, oos?: [codes]}: report results now (OOS values for the listed codes)."""
        oos = {str(c).upper() for c in params.get("oos", [])}
        unknown = oos - set(self.store.catalog["tests"])
        if unknown:
            raise ValueError(f"unknown test codes in oos: {sorted(unknown)}")
        released = []
        for order in self.store.select(params.get("order_id"), params.get("sample_id"), params.get("batch_id")):
            results = self.lab.release(order, oos, str(params.get("user", ANALYST)))
            released.append({"order_id": order["order_id"], "status": order["status"], "reported": results})
        return {"orders": released}

    async def correct_result(self, params: dict[str, Any]) -> dict[str, Any]:
        """{order_id, code, value, reason}: a corrected result (OBX-11 C), audited with old -> new and reason."""
        order = self.store.order(str(params["order_id"]))
        result = self.lab.correct(order, str(params["code"]).upper(), params["value"], str(params.get("reason", "")),
                                  str(params.get("user", ANALYST)))
        return {"order_id": order["order_id"], "result": result}

    async def cancel_order(self, params: dict[str, Any]) -> dict[str, Any]:
        """{order_id, reason}: cancel an order that has no results yet."""
        order = self.store.order(str(params["order_id"]))
        self.lab.cancel(order, str(params.get("user", ANALYST)), str(params.get("reason") or "cancelled in the LIMS"))
        return _summary(order)

    async def list_outbox(self, params: dict[str, Any]) -> dict[str, Any]:
        """{status?}: outbound messages with delivery status, attempts and last error."""
        return {"messages": [{k: v for k, v in m.items() if k != "payload"} | {"message": m["payload"]}
                             for m in self.store.outbox if params.get("status") in (None, m["status"])]}


def _setting(key: str, raw: Any) -> Any:
    if key == "auto_results":
        if not isinstance(raw, bool):
            raise ValueError("auto_results must be true or false")
        return raw
    value = int(raw) if key == "max_retries" else float(raw)
    lo, hi = _LIMITS[key]
    if not lo <= value <= hi:
        raise ValueError(f"{key} must be between {lo} and {hi}")
    return value
