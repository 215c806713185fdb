"""The console as a component: `gxplink up` runs it beside the rest, `gxplink run console` alone.

On a new database there is no one to log in: the first start creates an `admin` user with a random
password written to `<creds>/console-admin.password` (mode 0600), which the operator reads once and
replaces by creating named users (`gxplink users add`, or the console's Users page).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from console.actions import ConsoleAudit
from console.board import Board
from console.config import ConsoleConfig
from console.sessions import Sessions
from console.web.app import create_app
from console.web.context import ConsoleContext
from embedded_http import EmbeddedHttpServer
from messaging.private_files import write_private
from messaging.publisher import Publisher
from orchestrator.engine.accounts import Accounts
from orchestrator.engine.store import WorkflowStore

log = logging.getLogger(__name__)
ADMIN_USER, ADMIN_NAME = "admin", "Console administrator"
ADMIN_PASSWORD_FILE = "console-admin.password"


def first_login_hint(creds_dir: Path) -> str:
    """Where the first administrator's password is, while it is still there to be read."""
    path = creds_dir / ADMIN_PASSWORD_FILE
    return f" (first login: user {ADMIN_USER}, password in {path})" if path.exists() else ""


class Console:
    def __init__(self, config: ConsoleConfig, engine: AsyncEngine, nc: Client, *, creds_dir: Path,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        publisher = Publisher(nc.jetstream())
        self.context = ConsoleContext(config=config, engine=engine, nc=nc, js=nc.jetstream(), publisher=publisher,
                                      accounts=Accounts(engine), sessions=Sessions(engine, config),
                                      audit=ConsoleAudit(publisher), board=Board(engine))
        self.creds_dir = creds_dir
        self.http = EmbeddedHttpServer(create_app(self.context), host=host, port=port)
        self.url = ""

    async def start(self) -> None:
        await WorkflowStore(self.context.engine).create_schema()  # the users live there
        await self.context.sessions.create_schema()
        await self._first_admin()
        await self.context.board.start(self.context.nc)
        host = self.http.host if ":" not in self.http.host else f"[{self.http.host}]"
        self.url = f"http://{host}:{await self.http.start()}"

    async def _first_admin(self) -> None:
        if await self.context.accounts.all():
            return
        password, path = secrets.token_urlsafe(18), self.creds_dir / ADMIN_PASSWORD_FILE
        try:  # the password must reach the operator first: no file, no user (a read-only mount, say)
            self.creds_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_private(path, password.encode() + b"\n", exclusive=True)
        except FileExistsError:  # another console process is creating the same user: use its password
            password = path.read_text().strip()
        except OSError as exc:
            log.warning("console: no user exists and %s cannot be written (%s): create one with "
                        "`gxplink users add ID --role admin --name NAME`", path, exc.strerror or exc)
            return
        if await self.context.accounts.add(ADMIN_USER, ADMIN_NAME, "admin", password):
            await self.context.audit.record(user_id=None, typed_user="gxplink", action="create", target_type="user",
                                            target_id=ADMIN_USER, reason="first start: no console user existed",
                                            changes={"role": (None, "admin")})
            log.warning("console: created user %r; its password is in %s", ADMIN_USER, path)

    @property
    def alive(self) -> bool:
        return self.http.running

    async def stop(self) -> None:
        await self.context.board.stop()
        await self.http.stop()
