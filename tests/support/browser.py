"""Headless Chromium for the console tests: the system's Chromium (installed by .ci/run), driven by Playwright.

Screenshots go to `$GXPLINK_ARTIFACTS/console` (default `test-artifacts/console` in the checkout), kept
after the run for people to look at; the accessibility check runs axe-core on the rendered page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str:
    found = os.environ.get("GXPLINK_CHROMIUM") or next((p for p in map(shutil.which, CANDIDATES) if p), None)
    if not found:
        raise AssertionError("no Chromium found: .ci/run installs Debian's chromium package "
                             "(or set GXPLINK_CHROMIUM to a Chromium or Chrome binary)")
    return found


def artifacts_dir() -> Path:
    path = Path(os.environ.get("GXPLINK_ARTIFACTS", REPO / "test-artifacts")) / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


def accessibility_violations(page: Any, impact: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations of the given impact on the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                             "wcag21aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in impact]
