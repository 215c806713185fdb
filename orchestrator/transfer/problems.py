"""Why a library file or a package is refused, said precisely: which file, which field, what is wrong.

Library files are edited by people and packages cross organisations, so bad content is reported as
data (a list of problems) and never as a traceback: the reader must be able to fix it from the text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import ValidationError

ProblemKind = Literal[
    "unreadable", "schema", "reference", "inconsistent", "unknown_unit", "hash_mismatch", "signature", "e_signature",
    "unsealed", "unmapped",
]


@dataclass(frozen=True)
class Problem:
    """One refusal reason; `path` is a field path such as `definition.bom[2].quantity.unit`."""

    kind: ProblemKind
    path: str
    reason: str
    file: str | None = None

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        return f"{where}: {self.reason}" if where else self.reason

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ProblemsError(ValueError):
    """Raised where a caller needs a value and there are problems; carries all of them, not the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def join_path(prefix: str, loc: Sequence[str | int]) -> str:
    """`prefix` + pydantic-style location, rendered `a.b[0].c`."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def from_validation_error(error: ValidationError, prefix: str = "", file: str | None = None) -> list[Problem]:
    """One `schema` problem per pydantic error, with its field path and message."""
    errors = error.errors(include_url=False)
    locations = [tuple(item["loc"]) for item in errors]
    problems = []
    for item in errors:
        loc = tuple(item["loc"])
        # pydantic also calls a sequence too short when its only items were invalid: noise, not a cause
        if item["type"] == "too_short" and any(len(other) > len(loc) and other[:len(loc)] == loc
                                               for other in locations):
            continue
        reason = str(item["msg"]).removeprefix("Value error, ")
        problems.append(Problem("schema", join_path(prefix, item["loc"]), reason, file))
    return problems


def walk_units(doc: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every `(path, code)` of a `unit` field in a plain JSON document, schema-valid or not."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            path = join_path(prefix, [str(key)])
            if key == "unit" and isinstance(value, str):
                yield path, value
            else:
                yield from walk_units(value, path)
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from walk_units(value, join_path(prefix, [index]))
