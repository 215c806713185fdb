"""The simulators serve HTTP with the shared embedded server (see embedded_http)."""

from embedded_http import EmbeddedHttpServer

__all__ = ["EmbeddedHttpServer"]
