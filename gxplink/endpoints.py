"""The endpoints JSON: the public map of where each running part of gxplink listens.

Written atomically (temp file + rename) once everything listens, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_endpoints(path: Path, endpoints: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(endpoints, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
