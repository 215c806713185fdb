"""A tolerant HL7 v2 reader and a small writer, both for the default delimiters `|^~\\&`.

The reader never raises on content: it only splits. Whether a message is acceptable (MSH present,
delimiters supported, required fields filled) is decided by the inbound handler, which must still
answer with the sender's MSH-10 when the rest is broken. Field numbers follow the standard, so
`seg.get(10)` on MSH is MSH-10 (MSH-1, the field separator itself, is kept as its own field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulators.lims.escape import decode

DELIMITERS = "^~\\&"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


@dataclass
class Segment:
    name: str
    fields: list[str]  # fields[0] is the segment id; fields[n] is <name>-n
    delimiters: str = DELIMITERS

    def get(self, number: int, component: int = 1, sub: int = 1, repetition: int = 1) -> str:
        """One raw (still escaped) value; "" when absent. component=0 returns the whole repetition."""
        if number >= len(self.fields):
            return ""
        value = self.fields[number]
        if self.name == "MSH" and number <= 2:
            return value  # the delimiters themselves
        comp_sep, rep_sep, sub_sep = self.delimiters[0], self.delimiters[1], self.delimiters[3]
        reps = value.split(rep_sep)
        if repetition > len(reps):
            return ""
        value = reps[repetition - 1]
        if component == 0:
            return value
        comps = value.split(comp_sep)
        if component > len(comps):
            return ""
        subs = comps[component - 1].split(sub_sep)
        return subs[sub - 1] if sub <= len(subs) else ""

    def text(self, number: int, component: int = 1, sub: int = 1, repetition: int = 1) -> str:
        """The same value with escape sequences decoded."""
        return decode(self.get(number, component, sub, repetition))

    def repetitions(self, number: int) -> int:
        value = self.fields[number] if number < len(self.fields) else ""
        return len(value.split(self.delimiters[1])) if value else 0


@dataclass
class Message:
    segments: list[Segment] = field(default_factory=list)
    field_separator: str = "|"
    delimiters: str = DELIMITERS  # as used for splitting (padded with defaults when MSH-2 is short)
    declared: str = DELIMITERS  # MSH-2 exactly as sent

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    @property
    def msh(self) -> Segment | None:
        return self.segments[0] if self.segments and self.segments[0].name == "MSH" else None

    @property
    def bad_segment_ids(self) -> list[str]:
        return [s.name for s in self.segments if not _SEGMENT_ID.fullmatch(s.name)]


def split_lines(text: str) -> list[str]:
    """Segments; LF and CRLF are tolerated as separators as interface engines do."""
    return [ln for ln in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if ln.strip()]


def parse(text: str) -> Message:
    """Split a message using the delimiters its own MSH declares (so MSH-10 is readable even when they are odd)."""
    lines = split_lines(text.lstrip("\ufeff \t\r\n"))
    if not lines or not lines[0].startswith("MSH") or len(lines[0]) < 4:
        return Message([Segment(ln[:3], ln.split("|")) for ln in lines])
    head = lines[0]
    sep = head[3]
    enc = head[4:].split(sep, 1)[0]
    delimiters = enc + DELIMITERS[len(enc):] if len(enc) < 4 else enc[:4]
    segments = []
    for line in lines:
        parts = line.split(sep)
        if parts[0] == "MSH":
            parts = ["MSH", sep, *parts[1:]]
        segments.append(Segment(parts[0], parts, delimiters))
    return Message(segments, sep, delimiters, enc)


def dtm(moment: datetime) -> str:
    """HL7 DTM with seconds and offset, e.g. 20250101120000+0000."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def seg(name: str, *fields: str) -> str:
    """One segment with trailing empty fields dropped."""
    values = list(fields)
    while values and values[-1] == "":
        values.pop()
    return "|".join([name, *values])


def comp(*components: str) -> str:
    """Components joined with ^, trailing empty ones dropped (callers escape text before)."""
    return "^".join(components).rstrip("^")


def join(segments: list[str]) -> str:
    return "\r".join(segments) + "\r"
