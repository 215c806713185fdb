"""The ERP's HTTP application: routes, problem handlers, the public OpenAPI document and the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp

from simulators.common.faults import Faults
from simulators.erp import api_feed, api_lots, api_master, api_orders, api_stock
from simulators.erp.auth import Credentials
from simulators.erp.middleware import ErpGateway
from simulators.erp.problems import ErpJSON, install_problem_handlers
from simulators.erp.store import ErpStore

SECURITY_SCHEMES = {
    "basicAuth": {"type": "http", "scheme": "basic", "description": "Technical RFC user (see erp_auth)"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API token of the same user"},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the security schemes, and problem+json as the media type of errors."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        doc["security"] = [{"basicAuth": []}, {"bearerAuth": []}]
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45" and "application/json" in response.get("content", {}):
                        response["content"] = {"application/problem+json": response["content"]["application/json"]}
        app.openapi_schema = doc
    return app.openapi_schema


def build_app(store: ErpStore, faults: Faults, credentials: Credentials) -> ASGIApp:
    app = FastAPI(title="ERP (S/4HANA-like) inventory and quality API", version="1.0",
                  description="Batches, QM usage decisions, goods movements, production orders and BOMs of plant "
                  "CAM, with OData-style $filter/$orderby/$top/$skip/$count, ETag/If-Match concurrency, a change "
                  "feed and change documents. Errors are RFC 9457 problem details.",
                  default_response_class=ErpJSON)
    app.state.store, app.state.faults = store, faults
    for module in (api_lots, api_stock, api_orders, api_master, api_feed):
        app.include_router(module.router)
    install_problem_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return ErpGateway(app, faults, credentials)
