"""The requirements file, loaded and checked: ids unique and well formed, every field present."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Kind = Literal["user", "functional", "regulatory"]
Risk = Literal["high", "medium", "low"]


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^(URS|FRS|P11)-\d{3}$")
    kind: Kind
    risk: Risk
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    refs: tuple[str, ...] = ()


class Requirements(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    def by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}


class RequirementsError(ValueError):
    """The requirements file is not valid; the message says where."""


def parse(text: str) -> Requirements:
    try:
        found = Requirements.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RequirementsError(f"requirements.yaml: {exc}") from None
    ids = [r.id for r in found.requirements]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise RequirementsError(f"requirements.yaml: ids used twice: {', '.join(doubled)}")
    return found


@cache
def load() -> Requirements:
    return parse(files("validation").joinpath("requirements.yaml").read_text(encoding="utf-8"))
