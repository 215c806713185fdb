"""ProvisionMaterials as POST /materials per material, then POST /boms (or PATCH /boms/{id}), each done once.

The ERP refuses to create anything twice (409) and has no idempotency key, so every object is read
first: a material the ERP already holds in the same base unit is success (its name and class are the
site's own and are kept); in another base unit it is refused, because quantities would be misread.
The ERP keeps one active production BOM per product and names BOMs itself, so the command's BOM is the
one with its id, else the product's active BOM, else a new one under its id: held with the same items
and base quantity, it is success; with others it is changed by an engineering change (PATCH with
If-Match), which the ERP keeps as a new BOM version. A write whose answer was lost is retried from the
reads, which then find what it did.
"""

from __future__ import annotations

from typing import Any

from adapters.erp.api import ErpApi, Record
from adapters.erp.problems import ErpRefused, refused
from adapters.framework.commands import Outcome
from canonical_model.envelope import Envelope
from mappings.engine.transforms import convert_unit
from messaging.errors import RetryableError


class MasterData:
    def __init__(self, api: ErpApi) -> None:
        self.api = api

    async def provision(self, command: Envelope[Any], body: Record) -> Outcome:
        reason = str(body["reason"])
        done: dict[str, list[str]] = {"created": [], "held": []}
        for material in body.get("materials", []):
            done[await self._material({**material, "reason": reason})].append(str(material["id"]))
        parts = [f"materials {what}: {', '.join(ids)}" for what, ids in done.items() if ids]
        references = {"transfer_id": command.data.transfer_id}
        references.update({f"materials_{what}": ",".join(ids) for what, ids in done.items() if ids})
        if "bom" in body:
            what, bom = await self._bom(body["bom"], reason)
            parts.append(f"BOM {bom.get('id')} {what} (version {bom.get('version')})")
            references.update(bom_id=str(bom.get("id")), bom_version=str(bom.get("version")))
        return Outcome(detail="; ".join(parts), references=references)

    async def _material(self, body: Record) -> str:
        existing = await self.api.material(body["id"])
        if existing is None:
            reply = await self.api.post_material(body)
            if reply.ok:
                return "created"
            if reply.code == "material_exists":  # created meanwhile (by our own earlier attempt, or someone)
                existing = await self.api.material(body["id"])
            if existing is None:
                raise refused(reply, f"material {body['id']}")
        if existing.get("base_unit") != body["base_unit"]:
            raise ErpRefused(f"material {body['id']} exists in the ERP with base unit {existing.get('base_unit')!r}, "
                             f"not {body['base_unit']!r}", "material_unit_differs")
        return "held"

    async def _bom(self, body: Record, reason: str) -> tuple[str, Record]:
        existing = await self.api.bom(body["id"]) or next(
            (b for b in await self.api.boms() if b.get("material") == body["material"] and b.get("status") == "active"),
            None)
        if existing is None:
            reply = await self.api.post_bom({**body, "reason": reason})
            if reply.ok:
                return "created", reply.body or await self._read(body["id"])
            if reply.code == "bom_exists":
                existing = await self.api.bom(body["id"])
            if existing is None:
                raise refused(reply, f"BOM {body['id']}")
        if existing.get("material") != body["material"]:
            raise ErpRefused(f"BOM {existing.get('id')} is the ERP's BOM of {existing.get('material')}, not of "
                             f"{body['material']}", "bom_other_product")
        if _same(existing, body):
            return "held", existing
        change = {"items": body["items"], "base_quantity": body["base_quantity"], "base_unit": body["base_unit"],
                  "reason": reason}
        bom_id = str(existing.get("id"))
        reply = await self.api.patch_bom(bom_id, change, str(existing.get("@odata.etag")))
        if reply.status == 412:  # changed since we read it: decide again on a fresh read
            raise RetryableError(f"BOM {bom_id} changed in the ERP while it was being provisioned")
        if not reply.ok:
            raise refused(reply, f"change of BOM {bom_id}")
        return "changed", reply.body or await self._read(bom_id)

    async def _read(self, bom_id: str) -> Record:
        """The BOM after a write whose answer could not be read."""
        return await self.api.bom(bom_id) or {"id": bom_id}


def _same(existing: Record, body: Record) -> bool:
    """Same items (as the ERP keeps them: in the units given) and the same base quantity, after conversion."""
    have = [(i.get("material"), float(i.get("quantity") or 0), i.get("unit")) for i in existing.get("items", [])]
    want = [(i["material"], float(i["quantity"]), i["unit"]) for i in body["items"]]
    try:
        base = convert_unit(float(body["base_quantity"]), str(body["base_unit"]), str(existing.get("base_unit")))
    except ValueError:  # a unit the conversion does not know: let the ERP decide on the change
        return False
    return have == want and abs(base - float(existing.get("base_quantity") or 0)) < 1e-6
