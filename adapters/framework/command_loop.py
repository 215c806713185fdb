"""Running a command executor on its durable consumer until the adapter stops."""

from __future__ import annotations

import asyncio
import logging

from adapters.framework.commands import CommandExecutor, command_consumer
from messaging.consumer import DurableConsumer

log = logging.getLogger(__name__)


class CommandLoop:
    def __init__(self, executor: CommandExecutor, js: object, origin: str) -> None:
        self.executor = executor
        self.consumer = DurableConsumer(js, command_consumer(executor.system, executor.max_deliver),  # type: ignore[arg-type]
                                        executor, publisher=executor.publisher, origin=origin)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.consumer.run(self._stop), name=f"commands:{self.executor.system}")

    async def stop(self) -> None:
        """Let the message in hand finish (drain), then stop fetching."""
        self._stop.set()
        if self._task is not None:
            try:
                await self._task
            except (asyncio.CancelledError, Exception) as exc:  # NATS may already be gone at shutdown
                log.info("%s command consumer ended with %s", self.executor.system, type(exc).__name__)
            self._task = None

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()
