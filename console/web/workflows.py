"""Workflow instances with their history, and the human tasks QA signs (21 CFR 11.50, 11.200)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.sessions import Session
from console.web.context import context_of
from console.web.guard import COOKIE, checked_form, current_session
from console.web.render import page
from orchestrator.engine.signing import Signer, SigningError
from orchestrator.engine.store import WorkflowStore

router = APIRouter()


def _store(request: Request) -> WorkflowStore:
    return WorkflowStore(context_of(request).engine)


@router.get("/workflows", response_class=HTMLResponse)
async def workflows(request: Request, session: Session = Depends(current_session)) -> Response:
    store = _store(request)
    status = request.query_params.get("status") or None
    return page(request, "workflows.html", session, title="Workflows", nav="workflows", status=status,
                instances=(await store.list_instances(status))[-200:][::-1], tasks=await store.open_tasks())


@router.get("/workflows/{instance_id}", response_class=HTMLResponse)
async def instance(instance_id: str, request: Request, session: Session = Depends(current_session)) -> Response:
    store = _store(request)
    found = await store.instance(instance_id)
    if found is None:
        raise HTTPException(404, f"no workflow instance {instance_id}")
    history, _ = await store.history(instance_id)
    return page(request, "instance.html", session, title=f"Workflow {found['workflow']} for {found['business_key']}",
                nav="workflows", instance=found, history=history, tasks=await store.tasks_of(instance_id))


async def _task_page(request: Request, session: Session, task_id: str, *, error: str | None = None,
                     status_code: int = 200) -> Response:
    store = _store(request)
    task = await store.task(task_id)
    if task is None:
        raise HTTPException(404, f"no task {task_id}")
    return page(request, "task.html", session, title=f"Task: {task['title']}", nav="workflows", task=task,
                instance=await store.instance(task["instance_id"]), signature=await store.signature(task_id),
                may_sign=session.role == task["role"], error=error, status_code=status_code)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task(task_id: str, request: Request, session: Session = Depends(current_session)) -> Response:
    return await _task_page(request, session, task_id)


@router.post("/tasks/{task_id}/sign")
async def sign(task_id: str, request: Request, form: dict[str, str] = Depends(checked_form),
               session: Session = Depends(current_session)) -> Response:
    """Re-authentication with the password at each signing (§11.200(a)(1)(ii): not continuous session use)."""
    ctx = context_of(request)
    meaning, reason = form.get("meaning", ""), form.get("reason", "").strip() or None
    try:
        signature = await Signer(_store(request), ctx.publisher).sign(task_id, session.user_id,
                                                                        form.get("password", ""), meaning, reason)
    except SigningError as exc:
        await ctx.audit.record(user_id=session.user_id, action="sign_refused", target_type="task", target_id=task_id,
                               reason=str(exc))
        if "re-authentication" in str(exc):
            count, locked = await ctx.sessions.failed(session.user_id)
            if locked:
                await ctx.sessions.end(request.cookies.get(COOKIE, ""), "account locked")
                await ctx.audit.record(user_id=session.user_id, action="account_locked", target_type="user",
                                       target_id=session.user_id, reason=f"{count} wrong passwords in a row")
                return RedirectResponse("/login?ended=account+locked", status_code=303)
        return await _task_page(request, session, task_id, error=str(exc), status_code=400)
    await ctx.sessions.succeeded(session.user_id)
    await ctx.audit.record(user_id=session.user_id, action="sign", target_type="task", target_id=task_id,
                           reason=reason, changes={"signature": (None, f"{signature.meaning} by "
                                                                       f"{signature.signer_name}")},
                           correlation={"batch_id": signature.record_id} if signature.record_type == "batch" else None)
    store = _store(request)
    found = await store.task(task_id)
    return RedirectResponse(f"/workflows/{found['instance_id']}" if found else "/workflows", status_code=303)
