"""The console app in process, over ASGI: who gets in, what is audited, and what the browser is told.

No sockets: httpx drives the app through its ASGI transport; NATS is a stub the routes used here
never reach, and the audit publisher keeps what it was given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import cast
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from console.actions import ConsoleAudit
from console.board import Board
from console.config import ConsoleConfig
from console.sessions import Sessions
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.guard import COOKIE, CSP, LOGIN_COOKIE
from orchestrator.engine.accounts import Accounts
from tests.unit.console.fakes import FakePublisher, csrf_of, log_in

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


@pytest.fixture
async def context(engine: AsyncEngine, config: ConsoleConfig, publisher: FakePublisher) -> ConsoleContext:
    accounts = Accounts(engine)
    assert await accounts.add("aaron", "Aaron Admin", "admin", PASSWORD)
    assert await accounts.add("alice", "Alice Auditor", "auditor", PASSWORD)
    return ConsoleContext(config=config, engine=engine, nc=cast(Client, SimpleNamespace(is_connected=True)),
                          js=cast(JetStreamContext, SimpleNamespace()), publisher=publisher.as_publisher(),
                          accounts=accounts, sessions=Sessions(engine, config),
                          audit=ConsoleAudit(publisher.as_publisher()), board=Board(engine))


@pytest.fixture
def app(context: ConsoleContext) -> FastAPI:
    return create_app(context)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
        yield client


@pytest.mark.requirement("URS-008", "P11-008")
@pytest.mark.parametrize("path", ["/", "/workflows", "/dlq", "/components", "/audit", "/audit/export.csv?ident=X",
                                  "/admin/users", "/tasks/T-1", "/audit/records/R-1"])
async def test_pages_send_a_stranger_to_the_login_form_and_back(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={quote(path, safe='')}"
    assert answer.headers["content-security-policy"] == CSP


@pytest.mark.parametrize(("method", "path"), [("GET", "/events/board"), ("POST", "/logout"),
                                              ("POST", "/admin/users")])
async def test_streams_and_posts_get_401_not_a_redirect(client: httpx.AsyncClient, method: str, path: str) -> None:
    answer = await client.request(method, path)
    assert answer.status_code == 401 and "login" not in answer.headers.get("location", "")


async def test_the_login_form_sets_its_own_strict_cookie(client: httpx.AsyncClient) -> None:
    answer = await client.get("/login?next=/audit")
    assert answer.status_code == 200 and 'value="/audit"' in answer.text
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{LOGIN_COOKIE}=") and "httponly" in cookie and "samesite=strict" in cookie


async def test_a_login_redirect_from_an_ended_session_says_why(client: httpx.AsyncClient) -> None:
    answer = await client.get("/login?ended=idle%20timeout")
    assert "You were logged out (idle timeout)" in answer.text


async def test_a_correct_login_opens_a_session_behind_a_strict_cookie(client: httpx.AsyncClient,
                                                                      publisher: FakePublisher) -> None:
    answer = await log_in(client, "aaron", PASSWORD, next="/audit?ident=B-1")
    assert answer.status_code == 303 and answer.headers["location"] == "/audit?ident=B-1"
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-frame-options"] == "DENY"
    session_cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert "httponly" in session_cookie.lower() and "samesite=strict" in session_cookie.lower()
    assert "secure" not in session_cookie.lower()  # secure_cookies is off in this config
    assert publisher.actions() == ["login"] and publisher.records()[0].user_id == "aaron"
    board = await client.get("/")
    assert board.status_code == 200 and "Aaron Admin" in board.text


async def test_an_offsite_next_after_login_goes_home(client: httpx.AsyncClient) -> None:
    answer = await log_in(client, "aaron", PASSWORD, next="//evil.example/")
    assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_a_wrong_password_is_401_and_audited_against_the_known_user(client: httpx.AsyncClient,
                                                                          publisher: FakePublisher) -> None:
    answer = await log_in(client, "aaron", "not the password")
    assert answer.status_code == 401 and "Wrong user id or password." in answer.text
    assert COOKIE not in client.cookies
    [record] = publisher.records()
    assert (record.action, record.user_id, record.source_user) == ("login_failed", "aaron", None)
    assert record.reason == "wrong user id or password (attempt 1)"


async def test_an_unknown_user_is_the_same_401_recorded_as_typed_not_as_a_user(client: httpx.AsyncClient,
                                                                               publisher: FakePublisher) -> None:
    answer = await log_in(client, "mallory", PASSWORD)
    assert answer.status_code == 401 and "Wrong user id or password." in answer.text
    [record] = publisher.records()
    assert (record.action, record.user_id, record.source_user) == ("login_failed", None, "mallory")


async def test_a_login_post_without_the_forms_token_is_403(client: httpx.AsyncClient,
                                                           publisher: FakePublisher) -> None:
    """Login CSRF: a foreign page cannot log the browser into an account of its choosing."""
    await client.get("/login")
    answer = await client.post("/login", data={"user_id": "aaron", "password": PASSWORD, "login_token": "forged"})
    assert answer.status_code == 403 and COOKIE not in client.cookies
    assert publisher.sent == []


@pytest.mark.requirement("P11-013")
async def test_five_wrong_passwords_lock_out_even_the_right_one(client: httpx.AsyncClient,
                                                                publisher: FakePublisher) -> None:
    for _ in range(5):
        assert (await log_in(client, "alice", "not the password")).status_code == 401
    answer = await log_in(client, "alice", PASSWORD)
    assert answer.status_code == 403 and "locked" in answer.text and COOKIE not in client.cookies
    assert publisher.actions() == ["login_failed"] * 5 + ["account_locked", "login_refused"]
    assert (await log_in(client, "aaron", PASSWORD)).status_code == 303  # only that user id is locked


async def test_logout_needs_the_csrf_token_then_ends_the_session(client: httpx.AsyncClient,
                                                                 publisher: FakePublisher) -> None:
    await log_in(client, "aaron", PASSWORD)
    csrf = await csrf_of(client)
    refused = await client.post("/logout", data={})
    assert refused.status_code == 403
    assert (await client.get("/admin/users")).status_code == 200  # still logged in
    cookie = client.cookies[COOKIE]
    answer = await client.post("/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert publisher.actions()[-1] == "logout"
    client.cookies.set(COOKIE, cookie)  # a copy of the old cookie opens nothing
    assert (await client.get("/")).status_code == 303


@pytest.mark.requirement("P11-008")
async def test_an_auditor_may_not_create_users(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    await log_in(client, "alice", PASSWORD)
    assert (await client.get("/admin/users")).status_code == 403
    csrf = await csrf_of(client, "/")
    answer = await client.post("/admin/users", data={"csrf_token": csrf, "user_id": "eve", "name": "Eve",
                                                     "role": "admin", "password": PASSWORD})
    assert answer.status_code == 403 and "Auditor" in answer.text
    assert "create" not in publisher.actions()


@pytest.mark.requirement("P11-007")
async def test_an_admin_creates_a_user_and_it_is_audited(client: httpx.AsyncClient, context: ConsoleContext,
                                                         publisher: FakePublisher) -> None:
    await log_in(client, "aaron", PASSWORD)
    csrf = await csrf_of(client)
    form = {"csrf_token": csrf, "user_id": " quinn ", "name": "Quinn QA", "role": "qa", "password": PASSWORD,
            "reason": "new QA reviewer"}
    answer = await client.post("/admin/users", data=form)
    assert answer.status_code == 200 and "created quinn (qa)" in answer.text
    assert (await context.accounts.get("quinn")) is not None
    record = publisher.records()[-1]
    assert (record.action, record.user_id, record.target_type, record.target_id) == ("create", "aaron", "user",
                                                                                     "quinn")
    assert record.reason == "new QA reviewer"
    assert {c.field: (c.old, c.new) for c in record.changes} == {"name": (None, "Quinn QA"), "role": (None, "qa")}
    again = await client.post("/admin/users", data=form)
    assert again.status_code == 409 and publisher.actions().count("create") == 1


async def test_creating_a_user_without_the_csrf_token_is_403(client: httpx.AsyncClient,
                                                             context: ConsoleContext) -> None:
    await log_in(client, "aaron", PASSWORD)
    answer = await client.post("/admin/users", data={"user_id": "eve", "name": "Eve", "role": "admin",
                                                     "password": PASSWORD})
    assert answer.status_code == 403 and await context.accounts.get("eve") is None


async def test_a_refused_new_user_is_a_400_on_the_users_page(client: httpx.AsyncClient) -> None:
    await log_in(client, "aaron", PASSWORD)
    csrf = await csrf_of(client)
    answer = await client.post("/admin/users", data={"csrf_token": csrf, "user_id": "eve", "name": "Eve",
                                                     "role": "admin", "password": "short"})
    assert answer.status_code == 400 and "at least 12 characters" in answer.text


@pytest.mark.requirement("P11-013")
async def test_an_idle_session_is_logged_out_with_the_reason(client: httpx.AsyncClient, context: ConsoleContext,
                                                             publisher: FakePublisher) -> None:
    await log_in(client, "aaron", PASSWORD)
    context.sessions.config = ConsoleConfig(keys_dir=context.config.keys_dir, idle_minutes=0.0)
    answer = await client.get("/workflows")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fworkflows&ended=idle%20timeout"
    record = publisher.records()[-1]
    assert (record.action, record.user_id, record.reason) == ("logout", "aaron", "idle timeout")


@pytest.mark.requirement("URS-008")
async def test_a_logged_in_user_reads_the_pages_and_reading_the_trail_is_audited(client: httpx.AsyncClient,
                                                                                 publisher: FakePublisher) -> None:
    await log_in(client, "alice", PASSWORD)
    for path in ("/", "/workflows", "/components", "/audit"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
    assert publisher.actions() == ["login"]  # an empty search form reads nothing
    assert (await client.get("/audit?ident=B-1")).status_code == 200
    export = await client.get("/audit/export.csv?ident=B-1")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert 'filename="audit-trail-B-1.csv"' in export.headers["content-disposition"]
    assert publisher.actions()[1:] == ["audit_search", "audit_export"]
    assert publisher.records()[-1].reason == "CSV of 0 records: ident=B-1"


async def test_an_export_of_nothing_in_particular_is_400(client: httpx.AsyncClient) -> None:
    await log_in(client, "alice", PASSWORD)
    answer = await client.get("/audit/export.csv", headers={"accept": "text/html"})
    assert answer.status_code == 400 and "export what?" in answer.text


async def test_a_user_id_that_could_not_be_audited_is_refused(client: httpx.AsyncClient) -> None:
    """An id with a space or ';' could not be an actor (user:<id>) of the audit records its logins make."""
    await log_in(client, "aaron", PASSWORD)
    csrf = await csrf_of(client)
    for bad in ("bob smith", "bob;service:x"):
        created = await client.post("/admin/users", data={"csrf_token": csrf, "user_id": bad, "name": "Bob",
                                                          "role": "qa", "password": PASSWORD})
        assert created.status_code == 400 and "no spaces" in created.text


async def test_whatever_is_typed_as_user_id_a_wrong_login_is_401(client: httpx.AsyncClient) -> None:
    assert (await log_in(client, "a\nb", PASSWORD)).status_code == 401
