"""A fast HL7 v2 reader for the inbound hot path.

hl7apy parses about 60 ORU^R01 messages a second; splitting on the delimiters declared in MSH
is three orders of magnitude faster. Segments are split into fields once; components, repeats
and escape sequences are resolved only for the paths a mapping actually reads. hl7apy stays the
tool for building and validating outgoing messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mappings.engine.errors import TranslationError

_SEGMENTS = re.compile(r"\r\n|\r|\n")
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    def decode(self, text: str) -> str:
        """Resolve escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\); drop formatting ones."""
        esc = self.escape
        if not esc or esc not in text:
            return text
        out, i = [], 0
        while i < len(text):
            j = text.find(esc, i)
            k = text.find(esc, j + 1) if j >= 0 else -1
            if j < 0 or k < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            out.append(self._sequence(text[j + 1:k]))
            i = k + 1
        return "".join(out)

    def _sequence(self, code: str) -> str:
        simple = {"F": self.field, "S": self.component, "T": self.subcomponent, "R": self.repetition,
                  "E": self.escape, ".br": "\n"}
        if code in simple:
            return simple[code]
        if code[:1] == "X" and re.fullmatch(r"X(?:[0-9A-Fa-f]{2})+", code):
            return bytes.fromhex(code[1:]).decode("latin-1")
        return ""  # formatting (\H\, \N\, \.sp\ ...) carries no data

    def encode(self, text: str) -> str:
        """Escape delimiters in a value written into a message (the reverse of decode)."""
        e = self.escape
        table = {e: f"{e}E{e}", self.field: f"{e}F{e}", self.component: f"{e}S{e}",
                 self.subcomponent: f"{e}T{e}", self.repetition: f"{e}R{e}", "\n": f"{e}.br{e}", "\r": f"{e}.br{e}"}
        return "".join(table.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Hl7Message:
    segments: tuple[tuple[str, ...], ...]  # fields[0] is the segment id; for MSH fields[1] is MSH-1
    delimiters: Delimiters

    def field(self, seg_index: int, number: int) -> str:
        fields = self.segments[seg_index]
        return fields[number] if number < len(fields) else ""

    def indices(self, name: str) -> list[int]:
        return [i for i, s in enumerate(self.segments) if s[0] == name]

    @property
    def message_type(self) -> str:
        """MSH-9 as 'ORU^R01' (message code and trigger event only)."""
        parts = self.field(0, 9).split(self.delimiters.component)
        return "^".join(p for p in parts[:2] if p)

    @property
    def version(self) -> str:
        return self.field(0, 12).split(self.delimiters.component)[0]

    @property
    def control_id(self) -> str:
        return self.field(0, 10)


def parse_hl7(raw: bytes | str) -> Hl7Message:
    """Split one HL7 v2 message (MLLP framing and any line ending tolerated); refuse what is not HL7."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise TranslationError("", f"message larger than {MAX_MESSAGE_BYTES} bytes")
        raw = raw.decode("utf-8", errors="replace") if _utf8(raw) else raw.decode("latin-1")
    text = _unwrap_batch(raw.strip("\x0b\x1c\r\n \ufeff\t"))
    if not text.startswith("MSH"):
        raise TranslationError("MSH", "not an HL7 v2 message: it must start with an MSH segment")
    if len(text) < 8:
        raise TranslationError("MSH-2", "MSH segment too short to declare its delimiters")
    field_sep, encoding = text[3], text[4:8].split(text[3])[0]
    if field_sep.isalnum() or field_sep.isspace():
        raise TranslationError("MSH-1", f"invalid field separator {field_sep!r}")
    if len(encoding) < 2 or len(set(encoding + field_sep)) != len(encoding) + 1:
        raise TranslationError("MSH-2", f"invalid encoding characters {encoding!r}")
    delims = Delimiters(field_sep, encoding[0], encoding[1], encoding[2] if len(encoding) > 2 else "",
                        encoding[3] if len(encoding) > 3 else "&")
    segments: list[tuple[str, ...]] = []
    for line in _SEGMENTS.split(text):
        line = line.strip("\x0b\x1c ")
        if not line:
            continue
        fields = line.split(field_sep)
        if not _SEGMENT_ID.match(fields[0]):
            raise TranslationError(f"segment {len(segments) + 1}", f"invalid segment id {fields[0][:10]!r}")
        if fields[0] == "MSH":
            if segments:
                raise TranslationError(f"segment {len(segments) + 1}", "a second MSH: one message at a time")
            fields = ["MSH", field_sep, *fields[1:]]
        segments.append(tuple(fields))
    return Hl7Message(tuple(segments), delims)


def _unwrap_batch(text: str) -> str:
    """A batch file (FHS/BHS ... BTS/FTS) holding one message is that message."""
    if not text.startswith(("FHS", "BHS")):
        return text
    lines = [ln for ln in _SEGMENTS.split(text) if ln.strip() and not ln.startswith(("FHS", "BHS", "BTS", "FTS"))]
    return "\r".join(lines)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
