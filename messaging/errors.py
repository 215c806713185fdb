"""The error taxonomy every consumer and adapter keeps to.

A retryable error (timeout, system down, 5xx) is retried with backoff; a permanent one (invalid
input, rejected by the system's business rules) is dead-lettered at once with its reason, because
retrying it would only loop. Unexpected exceptions count as retryable, bounded by max_deliver.
"""

from __future__ import annotations


class GxplinkError(Exception):
    """Base of gxplink's classified errors."""


class RetryableError(GxplinkError):
    """Worth trying again later: the input is fine, the world was not."""


class PermanentError(GxplinkError):
    """Will fail the same way every time: dead-letter it with the reason."""
