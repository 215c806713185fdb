"""What every route needs, built once by the console and kept on the app's state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from console.actions import ConsoleAudit
from console.board import Board
from console.config import ConsoleConfig
from console.sessions import Sessions
from messaging.publisher import Publisher
from orchestrator.engine.accounts import Accounts

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@dataclass
class ConsoleContext:
    config: ConsoleConfig
    engine: AsyncEngine
    nc: Client
    js: JetStreamContext
    publisher: Publisher
    accounts: Accounts
    sessions: Sessions
    audit: ConsoleAudit
    board: Board


def context_of(request: Request) -> ConsoleContext:
    ctx: ConsoleContext = request.app.state.console
    return ctx
