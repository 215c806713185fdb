"""Where the third-party sample data lives: ../shared/corpora beside the checkout (or $GXPLINK_CORPORA).

CI clones the project with shared/ beside it, so there a missing corpus fails the run; a bare clone
elsewhere (for example an acceptance run in a temp dir) skips those tests and says why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def corpus(relative: str) -> Path:
    """The corpus path `relative` to the corpora root; skips (or fails under CI) when it is absent."""
    roots = [Path(p) for p in (os.environ.get("GXPLINK_CORPORA"),) if p] + [REPO.parent / "shared" / "corpora"]
    for root in roots:
        if (root / relative).exists():
            return root / relative
    message = f"third-party corpus {relative} not found under {', '.join(map(str, roots))}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
