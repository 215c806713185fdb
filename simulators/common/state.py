"""A simulator's own persisted state: one JSON document under its data dir, written atomically.

Legacy systems keep their state across restarts; so do the simulators, so that tests can prove
that gxplink catches up from a persisted cursor after a system was down.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


class JsonState:
    def __init__(self, path: Path, seed: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else copy.deepcopy(seed())
        if not path.exists():
            self.save()

    def save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True, default=str)
        os.replace(tmp, self.path)

    def next_seq(self, counter: str = "seq") -> int:
        """A monotonically increasing number (change-feed cursors); persisted with the next save."""
        counters = self.data.setdefault("_counters", {})
        counters[counter] = int(counters.get(counter, 0)) + 1
        return int(counters[counter])
