"""The start page: live batch status across the five systems, kept current over server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sse_starlette.sse import EventSourceResponse

from console.board import COLUMNS
from console.sessions import Session
from console.web.context import context_of
from console.web.guard import current_session
from console.web.render import page

router = APIRouter()
PING_SECONDS = 15


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, session: Session = Depends(current_session)) -> Response:
    return page(request, "board.html", session, title="Batch status", nav="board", columns=COLUMNS,
                rows=context_of(request).board.snapshot())


@router.get("/events/board")
async def board_events(request: Request, _session: Session = Depends(current_session)) -> EventSourceResponse:
    board = context_of(request).board
    queue = board.subscribe()

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            while not await request.is_disconnected():
                update = await queue.get()
                if update is None:
                    return
                yield {"event": "batch", "data": json.dumps(update)}
        finally:
            board.unsubscribe(queue)

    return EventSourceResponse(stream(), ping=PING_SECONDS, headers={"Cache-Control": "no-store"})
