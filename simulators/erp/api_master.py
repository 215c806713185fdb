"""Master data: /materials and /boms (created once each; a BOM change needs If-Match)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from simulators.erp.concurrency import require_match, with_etag
from simulators.erp.deps import acting_user, entity, if_match_header, problems, store_of
from simulators.erp.masterdata import create_bom, create_material
from simulators.erp.odata import QueryOptions, collection, query_options, select
from simulators.erp.odata_types import Schema
from simulators.erp.orders import change_bom
from simulators.erp.problems import Problem
from simulators.erp.requests import BomChange, BomCreate, MaterialCreate
from simulators.erp.resources import Bom, Material, Page
from simulators.erp.store import ErpStore

router = APIRouter(tags=["Master data"])
MaterialId = Path(max_length=64, examples=["MAT-LVV"])
BomId = Path(max_length=64, examples=["BOM-MAT-CART"])
MATERIAL_FIELDS: Schema = {"id": "string", "name": "string", "material_class": "string", "material_type": "string",
                           "base_unit": "string", "plant": "string"}
BOM_FIELDS: Schema = {"id": "string", "material": "string", "product": "string", "plant": "string",
                      "usage": "string", "alternative": "string", "status": "string", "base_quantity": "number",
                      "changed_at": "datetime", "version": "number"}


@router.get("/materials", response_model=Page[Material], responses=problems())
async def list_materials(request: Request, options: QueryOptions = Depends(query_options),
                         store: ErpStore = Depends(store_of)) -> Response:
    return collection(request, select(store.materials.values(), MATERIAL_FIELDS, options), options)


@router.post("/materials", status_code=201, response_model=Material, responses=problems(409, 422))
async def post_material(body: MaterialCreate, request: Request, store: ErpStore = Depends(store_of)) -> Response:
    """Create a material master (MM01); an existing material number is a 409, whatever it holds."""
    material = create_material(store, body, acting_user(request, body.user))
    store.save()
    return entity(material, 201, f"/materials/{material['id']}", versioned=False)


@router.get("/materials/{material_id}", response_model=Material, responses=problems(404))
async def read_material(material_id: str = MaterialId, store: ErpStore = Depends(store_of)) -> Response:
    if material_id not in store.materials:
        raise Problem(404, "unknown_material", f"material {material_id!r} does not exist")
    return entity(store.materials[material_id], versioned=False)


@router.get("/boms", response_model=Page[Bom], responses=problems())
async def list_boms(request: Request, options: QueryOptions = Depends(query_options),
                    store: ErpStore = Depends(store_of)) -> Response:
    return collection(request, [with_etag(b) for b in select(store.boms.values(), BOM_FIELDS, options)], options)


@router.post("/boms", status_code=201, response_model=Bom, responses=problems(409, 422))
async def post_bom(body: BomCreate, request: Request, store: ErpStore = Depends(store_of)) -> Response:
    """Create the production BOM of a product (CS01); one active BOM per product, an existing id is a 409."""
    bom = create_bom(store, body, acting_user(request, body.user))
    store.save()
    return entity(bom, 201, f"/boms/{bom['id']}")


def _bom(store: ErpStore, bom_id: str) -> dict[str, object]:
    if bom_id not in store.boms:
        raise Problem(404, "unknown_bom", f"bill of material {bom_id!r} does not exist")
    return store.boms[bom_id]


@router.get("/boms/{bom_id}", response_model=Bom, responses=problems(404))
async def read_bom(bom_id: str = BomId, store: ErpStore = Depends(store_of)) -> Response:
    return entity(_bom(store, bom_id))


@router.patch("/boms/{bom_id}", response_model=Bom, responses=problems(404, 412, 422, 428))
async def patch_bom(body: BomChange, request: Request, bom_id: str = BomId,
                    if_match: str | None = Depends(if_match_header), store: ErpStore = Depends(store_of)) -> Response:
    """Replace the BOM items (an engineering change); needs If-Match."""
    bom = _bom(store, bom_id)
    require_match(if_match, bom, f"BOM {bom_id}")
    change_bom(store, bom, [i.model_dump() for i in body.items], acting_user(request, body.user), body.reason,
               body.base_quantity, body.base_unit)
    store.save()
    return entity(bom)
