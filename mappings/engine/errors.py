"""The mapping engine's two error types.

`MappingError` is the author's mistake, found when a mapping is loaded: it names the file and line.
`TranslationError` is the input's fault, found when a message is translated: it names the source
path (segment/field/component, JSON pointer, XPath) and why. Nothing else escapes the engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """Where in a mapping file a rule was written."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class MappingError(Exception):
    def __init__(self, loc: Loc | None, message: str) -> None:
        self.loc, self.message = loc, message
        super().__init__(f"{loc}: {message}" if loc else message)


class TranslationError(Exception):
    def __init__(self, path: str, reason: str, mapping: str | None = None) -> None:
        self.path, self.reason, self.mapping = path, reason, mapping
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}" + (f" (mapping {mapping})" if mapping else ""))
