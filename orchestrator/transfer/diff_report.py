"""The semantic diff's result: structured changes, a JSON form and a plain-text rendering.

Values are JSON values (numbers, strings, lists) so the report can travel back to the sponsor as a
message; numeric values are stated in the new definition's unit (`unit`), converted if it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Criticality = Literal["major", "minor"]


@dataclass(frozen=True)
class Change:
    """One difference: what kind, where (`path`), from what to what, and how much it matters."""

    kind: str
    path: str
    old: Any = None
    new: Any = None
    criticality: Criticality = "minor"
    unit: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "old": self.old, "new": self.new,
                "criticality": self.criticality, "unit": self.unit, "detail": self.detail}

    def render(self) -> str:
        def show(value: Any) -> str:
            if value is None:
                return "-"
            if isinstance(value, list | tuple):
                text = "..".join("" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in value)
            else:
                text = f"{value:g}" if isinstance(value, float) else str(value)
            return f"{text} {self.unit}" if self.unit else text

        line = f"[{self.criticality.upper()}] {self.kind}: {self.path}: {show(self.old)} -> {show(self.new)}"
        return f"{line} ({self.detail})" if self.detail else line


@dataclass(frozen=True)
class DiffReport:
    """All changes from `previous` to `current` (each 'definition_id vN')."""

    previous: str
    current: str
    changes: tuple[Change, ...]

    @property
    def major(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.criticality == "major")

    @property
    def unchanged(self) -> bool:
        return not self.changes

    def to_json(self) -> dict[str, Any]:
        return {"previous": self.previous, "current": self.current,
                "summary": {"major": len(self.major), "minor": len(self.changes) - len(self.major)},
                "changes": [c.to_json() for c in self.changes]}

    def render_text(self) -> str:
        head = f"Process definition diff: {self.previous} -> {self.current}"
        if self.unchanged:
            return f"{head}\nNo changes.\n"
        counts = f"{len(self.major)} major, {len(self.changes) - len(self.major)} minor"
        return "\n".join([head, counts, *(c.render() for c in self.changes)]) + "\n"
