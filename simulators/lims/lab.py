"""The laboratory's work: registering, cancelling and resulting orders, correcting results.

Every change is written to the native audit trail (who, when, record, field, old -> new, reason) and
every reported or corrected result is queued as an ORU^R01 for the receiver. Results follow an order
automatically after `result_delay_seconds` when `auto_results` is on, as an instrument interface
and an analyst's review would, or on demand through the `release_results` action.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from simulators.common.base import SimContext
from simulators.lims.oml import OrderRequest
from simulators.lims.oru import build_oru
from simulators.lims.outbound import Outbox
from simulators.lims.results import measure, parse_value, result_record
from simulators.lims.store import LimsStore

ANALYST = "qc.rpatel"


class Lab:
    def __init__(self, store: LimsStore, ctx: SimContext, outbox: Outbox) -> None:
        self.store, self.ctx, self.outbox = store, ctx, outbox
        self._timers: dict[str, asyncio.Task[None]] = {}

    def register(self, request: OrderRequest, user: str, source: str, placer: tuple[str, str] = ("", "")) -> \
            dict[str, Any]:
        order_id = self.store.next_id("order", "ORD-")
        order: dict[str, Any] = {
            "order_id": order_id, "placer_order": request.placer_order or None, "source": source,
            "placer_application": placer[0], "placer_facility": placer[1],
            "batch_id": request.batch_id, "sample_id": request.sample_id or self.store.next_id("sample", "SMP-"),
            "sample_type": request.sample_type, "status": "received", "comments": request.comments,
            "received_at": self.ctx.clock.now().isoformat(), "results": {},
            "lines": [{"code": ln.code, "tests": ln.tests, "placer_order": ln.placer_order or None,
                       "comments": ln.comments} for ln in request.lines],
        }
        self.store.orders[order_id] = order
        self.store.save()
        tests = [t for ln in order["lines"] for t in ln["tests"]]
        self.ctx.audit.record(user, "create", "order", order_id, {
            "status": (None, "received"), "sample_id": (None, order["sample_id"]),
            "batch_id": (None, order["batch_id"]), "tests": (None, tests)},
            reason="order received by HL7 OML^O21" if source == "hl7" else "order logged in the LIMS")
        if self.store.settings["auto_results"]:
            self.schedule(order_id, float(self.store.settings["result_delay_seconds"]))
        return order

    def cancel(self, order: dict[str, Any], user: str, reason: str) -> None:
        if order["status"] != "received":
            raise ValueError(f"order {order['order_id']} is {order['status']}; only received orders can be cancelled")
        self._set_status(order, "cancelled", user, reason)

    def release(self, order: dict[str, Any], oos: set[str], user: str = ANALYST) -> list[dict[str, Any]]:
        """Report every test of the order not reported yet; codes in `oos` get an out-of-specification value."""
        if order["status"] == "cancelled":
            raise ValueError(f"order {order['order_id']} is cancelled")
        self._cancel_timer(order["order_id"])
        tests = self.store.catalog["tests"]
        now = self.ctx.clock.now().isoformat()
        reported = []
        for code in [t for ln in order["lines"] for t in ln["tests"] if t not in order["results"]]:
            test = tests[code]
            record = result_record(test, measure(test, self.ctx.seed, order["order_id"], code in oos), now, user)
            if record["flag"] != "N":
                record["notes"] = [f"Out of specification ({record['range']}): OOS investigation required"]
            order["results"][code] = record
            reported.append(record)
            self.ctx.audit.record(user, "result", "result", f"{order['order_id']}/{code}",
                                  {"value": (None, record["text"]), "status": (None, "F")}, reason="result entered")
        if reported:
            self._set_status(order, "resulted", user, "all results reported")
            self._send(order)
        return reported

    def correct(self, order: dict[str, Any], code: str, raw: Any, reason: str, user: str = ANALYST) -> dict[str, Any]:
        if not reason:
            raise ValueError("a correction needs a reason (GxP)")
        if code not in order["results"]:
            raise KeyError(f"order {order['order_id']} has no reported result for {code!r}")
        test = self.store.catalog["tests"][code]
        old = order["results"][code]
        new = result_record(test, parse_value(test, raw), self.ctx.clock.now().isoformat(), user)
        new["status"] = "C"
        new["notes"] = [f"Corrected result: {old['text']} -> {new['text']}. Reason: {reason}"]
        order["results"][code] = new
        self.ctx.audit.record(user, "correct", "result", f"{order['order_id']}/{code}",
                              {"value": (old["text"], new["text"]), "status": (old["status"], "C")}, reason=reason)
        self._set_status(order, "corrected", user, reason)
        self._send(order, only=code)
        return new

    def _set_status(self, order: dict[str, Any], status: str, user: str, reason: str) -> None:
        old, order["status"] = order["status"], status
        self.store.save()
        if old != status:
            self.ctx.audit.record(user, "update", "order", order["order_id"], {"status": (old, status)}, reason=reason)

    def _send(self, order: dict[str, Any], only: str | None = None) -> None:
        control_id = self.store.next_id("msh10", "LIMS", 8)
        payload = build_oru(order, self.store.catalog, self.store.receiver, control_id, self.ctx.clock.now(), only)
        self.outbox.enqueue(control_id, order["order_id"], payload)

    def schedule(self, order_id: str, delay: float) -> None:
        self._cancel_timer(order_id)
        self._timers[order_id] = asyncio.get_running_loop().create_task(self._auto(order_id, delay))

    async def _auto(self, order_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._timers.pop(order_id, None)
        order = self.store.orders.get(order_id)
        if order and order["status"] == "received" and self.store.settings["auto_results"]:
            self.release(order, set())

    def resume(self) -> None:
        """After a restart: orders still waiting for results get them after the configured delay."""
        if self.store.settings["auto_results"]:
            for order in self.store.orders.values():
                if order["status"] == "received":
                    self.schedule(order["order_id"], float(self.store.settings["result_delay_seconds"]))

    def _cancel_timer(self, order_id: str) -> None:
        timer = self._timers.pop(order_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def stop(self) -> None:
        timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        for timer in timers:
            with contextlib.suppress(asyncio.CancelledError):
                await timer
