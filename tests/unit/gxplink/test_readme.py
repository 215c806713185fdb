"""The README is part of the contract: its Quickstart and settings table must match the code."""

import re
from pathlib import Path

import pytest

from gxplink.settings import Settings

pytestmark = pytest.mark.unit
README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def test_quickstart_is_exactly_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```\n(.+?)\n```", quickstart, re.S)
    assert commands == ["pip install . && gxplink demo", "pip install '.[test]' && pytest"]


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = set(re.findall(r"^\| `(GXPLINK_[A-Z_]+)` \|", README, re.M))
    assert documented == {f"GXPLINK_{name.upper()}" for name in Settings.model_fields}
