"""The MES REST API application: routes behind HTTP Basic auth, problem+json errors, injected faults.

/openapi.json stays readable without credentials so that clients and API tooling can discover the
interface, as with the published API description of a commercial MES.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from simulators.common.faults import Faults
from simulators.mes.auth import ApiCredentials, require_account
from simulators.mes.faultmw import FaultMiddleware
from simulators.mes.problems import PROBLEM_JSON, install_problem_handlers
from simulators.mes.routes_batches import batch_routes
from simulators.mes.routes_feed import feed_routes
from simulators.mes.routes_master import master_routes
from simulators.mes.routes_records import record_routes
from simulators.mes.routes_steps import step_routes
from simulators.mes.schemas import Problem
from simulators.mes.store import MesStore

DESCRIPTION = """Manufacturing execution system with electronic batch records (simulated).

Errors are RFC 9457 problem documents. Changes are published on `/events` (cursor `after`, at-least-once:
deduplicate on `seq`); every change is in the audit trail at `/audit`. Batch production records export
as B2MML/BatchML V0700. The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA
International."""


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("The body could not be parsed"),
    401: _problem("Missing or wrong credentials"),
    403: _problem("The named user may not do this"),
    404: _problem("Unknown id"),
    409: _problem("Not allowed in the record's current state (e.g. an invalid batch transition)"),
    422: _problem("Invalid input or unknown master data"),
    503: _problem("Temporarily unavailable; retry"),
}


def create_app(store: MesStore, credentials: ApiCredentials, faults: Faults) -> FastAPI:
    app = FastAPI(title="MES Electronic Batch Record API", version="1.0", description=DESCRIPTION,
                  docs_url=None, redoc_url=None)
    install_problem_handlers(app)
    guard = [require_account(credentials)]
    for router in (master_routes(store), batch_routes(store), step_routes(store), record_routes(store),
                   feed_routes(store, faults)):
        app.include_router(router, dependencies=guard, responses=ERRORS)  # type: ignore[arg-type]
    app.add_middleware(FaultMiddleware, faults=faults)
    return app
