"""Turning expected failures into one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from canonical_model.envelope import EnvelopeError
from messaging.embedded import NatsServerError
from orchestrator.engine.signing import SigningError

P = ParamSpec("P")
R = TypeVar("R")

EXPECTED = (NatsServerError, EnvelopeError, SigningError, OSError, ValueError, RuntimeError, KeyError, TimeoutError)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EXPECTED as exc:
            typer.echo(f"gxplink: error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper
