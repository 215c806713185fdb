"""OPC UA answers the adapter acts on, as plain exceptions (no asyncua types leak out of adapters.deltav.client).

`BadStatus` carries the status code name the server answered (`BadOutOfRange`, `BadInvalidState`...).
Which of them a retry can cure is decided here, once: a refused value or a state that forbids the
command will be refused again (permanent); a server error or a timeout may pass next time.
"""

from __future__ import annotations

from messaging.errors import PermanentError, RetryableError

RETRYABLE = frozenset({
    "BadInternalError", "BadTimeout", "BadCommunicationError", "BadServerHalted", "BadServerNotConnected",
    "BadSessionClosed", "BadSessionIdInvalid", "BadSecureChannelClosed", "BadConnectionClosed", "BadTooManyOperations",
    "BadResourceUnavailable", "BadOutOfMemory", "BadShutdown", "BadRequestTimeout", "BadNoCommunication",
})


class BadStatus(Exception):
    """The server answered a Bad status code for one operation."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}{': ' + detail if detail else ''}")
        self.code = code


class DeltaVPermanent(PermanentError):
    """A refused command, with the OPC UA status name as `code` (the reply's error_code)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class DeltaVRetryable(RetryableError):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def classify(exc: BadStatus, what: str) -> DeltaVPermanent | DeltaVRetryable:
    """The framework error for a Bad answer to `what` (e.g. 'writing BR-101/TIC-101/SP')."""
    message = f"DeltaV refused {what}: {exc}"
    if exc.code in RETRYABLE:
        return DeltaVRetryable(message, exc.code)
    return DeltaVPermanent(message, exc.code)
