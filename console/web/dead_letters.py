"""The dead-letter browser: what could not be processed and why, and replaying it after a fix."""

from __future__ import annotations

import nats.errors
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from console.sessions import Session
from console.web.context import context_of
from console.web.guard import checked_form, current_session, require
from console.web.render import page
from messaging.dead_letters import DeadLetter, find_dead_letter, list_dead_letters, replay_dead_letter

router = APIRouter()
LIMIT = 1000
REPLAYERS = ("operator", "admin")
REPLAYER = require(*REPLAYERS)


async def _letters(request: Request) -> list[DeadLetter]:
    return await list_dead_letters(context_of(request).js, LIMIT)


async def _letter(request: Request, letter_id: str) -> DeadLetter:
    try:
        return find_dead_letter(await _letters(request), letter_id)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/dlq", response_class=HTMLResponse)
async def dead_letters(request: Request, session: Session = Depends(current_session)) -> Response:
    letters = sorted(await _letters(request), key=lambda letter: letter.received_at, reverse=True)
    return page(request, "dlq.html", session, title="Dead letters", nav="dlq", letters=letters)


async def _detail(request: Request, session: Session, letter: DeadLetter, *, outcome: dict[str, object] | None = None,
                  error: str | None = None, status_code: int = 200) -> Response:
    return page(request, "dlq_letter.html", session, title=f"Dead letter {letter.id}", nav="dlq", letter=letter,
                payload=letter.raw().decode("utf-8", errors="replace").replace("\r", "\n"),
                may_replay=session.role in REPLAYERS, outcome=outcome, error=error, status_code=status_code)


@router.get("/dlq/{letter_id}", response_class=HTMLResponse)
async def dead_letter(letter_id: str, request: Request, session: Session = Depends(current_session)) -> Response:
    return await _detail(request, session, await _letter(request, letter_id))


@router.post("/dlq/{letter_id}/replay")
async def replay(letter_id: str, request: Request, form: dict[str, str] = Depends(checked_form),
                 session: Session = Depends(REPLAYER)) -> Response:
    ctx = context_of(request)
    letter = await _letter(request, letter_id)
    why = form.get("reason", "").strip()
    if not why:
        return await _detail(request, session, letter, error="Say why it is replayed (what was fixed).",
                             status_code=400)
    try:
        outcome = await replay_dead_letter(ctx.nc, ctx.js, letter)
    except (RuntimeError, nats.errors.Error) as exc:
        outcome = {"accepted": False, "reason": str(exc) or type(exc).__name__}
    await ctx.audit.record(user_id=session.user_id, action="replay", target_type="dead_letter", target_id=letter.id,
                           reason=why, changes={"outcome": (None, "accepted" if outcome.get("accepted") else
                                                            f"refused: {outcome.get('reason')}")})
    return await _detail(request, session, letter, outcome=outcome)
