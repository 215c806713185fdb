"""ERP commands: each rendered by its outbound mapping, then executed with the ERP's concurrency rules.

| command | mapping | ERP call |
|---|---|---|
| SetLotDisposition | erp/set_lot_disposition | POST /lots/{lot_id}/usage-decisions, If-Match |
| ReleaseLot | erp/release_lot | the same, decision accept |
| PostInventoryTransaction | erp/post_inventory_transaction | POST /inventory-transactions |
| CreateProductionOrder | erp/create_production_order | POST /production-orders |
| ProvisionMaterials | erp/provision_materials | POST /materials each, POST /boms or PATCH /boms/{id} |

Transient faults (unreachable, timeouts, 429, 5xx) are RetryableError, retried by the executor;
4xx problem answers and conflicts found on re-reading are permanent, with the ERP's detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.erp.api import ErpApi, Record
from adapters.erp.dispositions import TARGET_STATUS, LotDispositions
from adapters.erp.master_data import MasterData
from adapters.erp.movements import Movements
from adapters.erp.orders import ProductionOrders
from adapters.framework.commands import Handler, Outcome
from canonical_model.commands.erp import (
    CreateProductionOrder,
    PostInventoryTransaction,
    ProvisionMaterials,
    ReleaseLot,
    SetLotDisposition,
)
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from mappings.engine.outbound import OutboundMapping
from messaging.errors import PermanentError

Execute = Callable[[Envelope[Any], Record], Awaitable[Outcome]]


def command_handlers(catalog: Catalog, api: ErpApi) -> dict[str, Handler]:
    dispositions, movements, orders = LotDispositions(api), Movements(api), ProductionOrders(api)
    master = MasterData(api)

    async def disposition(command: Envelope[Any], body: Record) -> Outcome:
        return await dispositions.decide(command, body, TARGET_STATUS[command.data.disposition])

    async def release(command: Envelope[Any], body: Record) -> Outcome:
        return await dispositions.decide(command, body, TARGET_STATUS["release"])

    routes: dict[Any, tuple[str, Execute]] = {
        SetLotDisposition: ("erp/set_lot_disposition", disposition),
        ReleaseLot: ("erp/release_lot", release),
        PostInventoryTransaction: ("erp/post_inventory_transaction", movements.post),
        CreateProductionOrder: ("erp/create_production_order", orders.create),
        ProvisionMaterials: ("erp/provision_materials", master.provision),
    }
    return {kind.ce_type(): _rendering(catalog, name, execute) for kind, (name, execute) in routes.items()}


def _rendering(catalog: Catalog, name: str, execute: Execute) -> Handler:
    mapping = catalog.get(name)
    assert isinstance(mapping, OutboundMapping), f"{name} is not an outbound mapping"

    async def handle(command: Envelope[Any]) -> Outcome:
        try:
            body = mapping.render(command)
        except TranslationError as exc:
            raise PermanentError(f"cannot build the ERP request with {mapping.ref}: {exc}") from None
        assert isinstance(body, dict)
        return await execute(command, body)
    return handle
