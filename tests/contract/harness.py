"""What the adapter contract suite needs from each adapter: a harness per (system, fake | simulator).

A new adapter passes the contract by providing a harness here; the suite itself (suite.py) is
shared, as faststream's transport test suites are.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.base import Adapter, AdapterPorts
from canonical_model.envelope import Envelope


class AdapterHarness(abc.ABC):
    system: str
    kind: str  # "fake" or "simulator"

    @abc.abstractmethod
    async def build(self, tmp_path: Path, ports: Callable[[str], AdapterPorts]) -> Adapter:
        """Start the legacy side (fake or simulator) and build (not start) the adapter."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def emit(self, token: str) -> None:
        """Make the legacy system produce a record about `token` that the adapter must publish."""

    @abc.abstractmethod
    def produced(self, event: dict[str, Any], token: str) -> bool:
        """Whether a stored event stands for the record `emit(token)` produced."""

    @abc.abstractmethod
    def command(self, token: str) -> Envelope[Any]:
        """A command the legacy system can execute."""

    @abc.abstractmethod
    async def executed(self, token: str) -> int:
        """How many times the legacy system executed the command of `token`."""

    @abc.abstractmethod
    async def set_down(self, down: bool) -> None:
        """Take the legacy system off the network, or bring it back (state kept)."""

    @abc.abstractmethod
    async def poison(self, adapter: Adapter, token: str) -> None:
        """Deliver input the adapter must dead-letter; its dead letter's payload contains `token`."""
