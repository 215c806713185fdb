"""The reference CAR-T scenario: the people and the plant around gxplink, acting on the simulators.

Operators run the batch in the MES and DeltaV, the lab releases results (one out of specification,
then corrected), QA works the deviations in the QMS and signs the release in gxplink. gxplink's
workflows do the rest. The driver only ever looks at the systems' state and takes the next step a
person would, so a demo killed at any moment resumes where the plant is.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gxplink.bootstrap import Stack
from gxplink.scenario.marks import Marks
from gxplink.scenario.quality import work_deviation
from orchestrator.engine.matching import dig
from orchestrator.engine.signing import Signer
from orchestrator.engine.store import WorkflowStore
from orchestrator.workflows.types import DEVIATION_OPENED, LOT_RELEASED

QA_SIGNER, QA_NAME = "qa.demo", "Dana Demo (QA)"
OOS_TEST, CORRECTED_VALUE = "VCN", 2.1


class ReferenceScenario:
    def __init__(self, stack: Stack, batch_id: str, say: Callable[[str], None], *,
                 signer_console: str | None = None) -> None:
        """`signer_console`: leave the release signature to a person in the console at that URL."""
        self.stack, self.batch, self.say, self.signer_console = stack, batch_id, say, signer_console
        self._asked: set[str] = set()
        self.marks = Marks(stack.data_dir / "scenario" / f"{batch_id}.json")
        sims = stack.sims
        assert sims is not None, "the reference scenario needs the bundled simulators"
        self.act = {system: sim.actions() for system, sim in sims.simulators.items()}
        self.workflows = WorkflowStore(stack.runtime.engine)
        self.signer = Signer(self.workflows, stack.runtime.publisher)
        self.lot = f"L-{batch_id}"

    async def run(self, timeout: float = 540.0) -> str:
        await self._prepare()
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            outcome = await self._tick()
            if outcome:
                return outcome
            await asyncio.sleep(0.3)
        raise TimeoutError(f"batch {self.batch} not released within {timeout:.0f}s")

    async def _prepare(self) -> None:
        await self.act["lims"]["configure"]({"auto_results": False, "result_delay_seconds": 0.2})
        await self.act["erp"]["create_lot"]({"lot_id": self.lot, "material": "MAT-CART", "quantity": 140,
                                             "unit": "mL"})
        await self.act["erp"]["create_production_order"]({"batch_id": self.batch})
        password_file = self.password_file
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(24))
            password_file.chmod(0o600)
        await self.signer.add_user(QA_SIGNER, QA_NAME, "qa", password_file.read_text())
        self.password = password_file.read_text()

    @property
    def password_file(self) -> Path:
        return self.stack.data_dir / "scenario" / "qa-demo-password"

    async def _tick(self) -> str | None:
        batch = await self._mes_batch()
        if batch is None:
            await self.act["mes"]["create_batch"]({"batch_id": self.batch})
            self.say(f"MES: batch {self.batch} created")
            return None
        state = batch["state"]
        await self._quality_work()
        if state in ("created", "released"):
            await self.act["mes"]["start_batch"]({"batch_id": self.batch})
            self.say("MES: batch started")
        elif state == "in_execution":
            await self._execute(batch)
        elif state == "completed":
            return await self._release()
        return None

    async def _execute(self, batch: dict[str, Any]) -> None:
        if not self.marks.done("deltav"):
            await self.act["deltav"]["start_batch"]({"batch_id": self.batch, "unit": "BR-101"})
            self.marks.mark("deltav")
            self.say("DeltaV: BR-101 phase running for the batch")
        if batch["steps_completed"] >= 4 and not self.marks.done("excursion"):
            info = await self.act["deltav"]["inject_excursion"]({"unit": "BR-101", "value": "Temperature", "to": 39.2,
                                                                 "seconds": 3})
            self.marks.mark("excursion")
            self.say(f"DeltaV: temperature excursion on BR-101 ({info.get('to')} Cel, high limit {info.get('hi')})")
            return
        if self.marks.done("excursion") and not await self._deviations() and self.marks.age("excursion") < 120:
            return  # let the excursion workflow open its deviation and hold the batch first
        if await self._lab_work():
            return
        if batch["steps_completed"] < batch["steps_total"]:
            step = await self.act["mes"]["advance_batch"]({"batch_id": self.batch})
            self.say(f"MES: step {step.get('advanced_step')} done ({step['steps_completed']}/{step['steps_total']})")
        elif await self._ready_to_complete():
            await self.act["mes"]["complete_batch"]({"batch_id": self.batch})
            self.say("MES: batch record complete")

    async def _lab_work(self) -> bool:
        orders = (await self.act["lims"]["orders"]({"batch_id": self.batch}))["orders"]
        for order in orders:
            tests = {t for line in order["lines"] for t in line["tests"]}
            if order["status"] == "received":
                oos = [OOS_TEST] if OOS_TEST in tests and not self.marks.done("oos") else []
                await self.act["lims"]["release_results"]({"order_id": order["order_id"], "oos": oos})
                if oos:
                    self.marks.mark("oos")
                note = f" ({OOS_TEST} out of specification)" if oos else ""
                self.say(f"LIMS: results of {order['order_id']} released{note}")
                return True
            if OOS_TEST in tests and self.marks.done("oos") and not self.marks.done("corrected") \
                    and any("OOS" in d["title"] for d in await self._deviations()):
                await self.act["lims"]["correct_result"]({"order_id": order["order_id"], "code": OOS_TEST,
                                                          "value": CORRECTED_VALUE,
                                                          "reason": "ddPCR plate re-read after reviewer check"})
                self.marks.mark("corrected")
                self.say(f"LIMS: {OOS_TEST} corrected to {CORRECTED_VALUE}")
                return True
        return False

    async def _ready_to_complete(self) -> bool:
        orders = (await self.act["lims"]["orders"]({"batch_id": self.batch}))["orders"]
        return bool(orders) and all(o["status"] != "received" for o in orders) and self.marks.done("corrected")

    async def _quality_work(self) -> None:
        statuses = {r["deviation_id"]: r["status"] for r in
                    (await self.act["qms"]["records"]({}))["deviations"]["records"]}
        for deviation in await self._deviations():
            step = await work_deviation(self.act["qms"], deviation["deviation_id"],
                                        statuses.get(deviation["deviation_id"], "open"), self.marks)
            if step:
                self.say(f"QMS: {deviation['deviation_id']} {step}")

    async def _deviations(self) -> list[dict[str, Any]]:
        events = await self.workflows.events_of_types((DEVIATION_OPENED,), self.batch)
        return [e["data"]["deviation"] for e in events]

    async def _release(self) -> str | None:
        for task in await self.workflows.open_tasks():
            if task["record_id"] == self.lot and self.signer_console:
                if task["id"] not in self._asked:
                    self._asked.add(task["id"])
                    self.say(f"gxplink: waiting for QA to sign '{task['title']}' in the console: "
                             f"{self.signer_console}/tasks/{task['id']} (user {QA_SIGNER}, password in "
                             f"{self.password_file})")
            elif task["record_id"] == self.lot:
                signature = await self.signer.sign(task["id"], QA_SIGNER, self.password, "approved",
                                                   reason="all results within specification, deviations closed")
                self.say(f"gxplink: {signature.signer_name} signed '{task['title']}' (approved)")
        for instance in await self.workflows.instances_for_key("batch_release", self.batch):
            if instance["status"] == "running":
                continue
            if instance["result"] == "released" and not await self._erp_confirms_release():
                return None  # the ERP's own record of the release must be in before the demo says so
            return str(instance["result"])
        return None

    async def _erp_confirms_release(self) -> bool:
        events = await self.workflows.events_of_types((LOT_RELEASED,), None)
        return any(dig(e, "data.disposition.lot_id") == self.lot for e in events)

    async def _mes_batch(self) -> dict[str, Any] | None:
        try:
            return dict(await self.act["mes"]["batch"]({"batch_id": self.batch}))
        except (KeyError, ValueError):
            return None

