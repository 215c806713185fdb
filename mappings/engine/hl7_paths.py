"""HL7 v2 paths as mappings write them, compiled once into fast getters.

    OBX-5          field 5 of the current (or nearest preceding, or first) OBX, first repetition
    OBX-5.1        component 1;  OBX-5.1.2 subcomponent 2
    PID-3(2).1     repetition 2 of PID-3, component 1;  PID-3(*).1 every repetition (a list)
    OBR[2]-4.1     the second OBR of the message
    +NTE-3         every NTE that follows the current segment before the next segment of the same kind
    >SPM-2.1       the first SPM after the current segment within its order group (before the next ORC/OBR)
    *OBX-3.1       every OBX in the message (a list)

"Current" is the segment a mapping iterates over (`repeat: OBX`); other segments resolve to the
nearest one before it, so OBR-3 inside an OBX repeat is the OBR of that result's order group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mappings.engine.hl7 import Hl7Message

_PATH = re.compile(
    r"^(?P<scope>[+*>]?)(?P<seg>[A-Z][A-Z0-9]{2})(?:\[(?P<occ>\d+)\])?"
    r"(?:-(?P<field>\d+)(?:\((?P<rep>\d+|\*)\))?(?:\.(?P<comp>\d+)(?:\.(?P<sub>\d+))?)?)?$"
)


GROUP_STARTS = ("ORC", "OBR", "MSH")


@dataclass
class Hl7Cursor:
    message: Hl7Message
    current: int | None = None  # index of the segment being iterated


Getter = Callable[[Hl7Cursor], Any]


def is_hl7_path(path: str) -> bool:
    return bool(_PATH.match(path))


def compile_hl7_path(path: str) -> Getter:
    """A getter for `path`; raises ValueError for a path that is not HL7 v2 notation."""
    m = _PATH.match(path)
    if not m:
        raise ValueError(f"not an HL7 v2 path (e.g. OBX-5.1, PID-3(2).1, +NTE-3): {path!r}")
    seg, scope = m["seg"], m["scope"]
    occ = int(m["occ"]) if m["occ"] else None
    field = int(m["field"]) if m["field"] else None
    rep = m["rep"]
    comp = int(m["comp"]) if m["comp"] else None
    sub = int(m["sub"]) if m["sub"] else None
    if field is not None and field < 1:
        raise ValueError(f"HL7 field numbers start at 1: {path!r}")

    def value(msg: Hl7Message, index: int) -> Any:
        if field is None:
            return "present"
        if seg == "MSH" and field <= 2:
            return msg.field(index, field)  # the delimiters themselves, never split or decoded
        return _extract(msg, msg.field(index, field), rep, comp, sub)

    if scope == "*":
        return lambda cur: [v for i in cur.message.indices(seg) if (v := value(cur.message, i)) not in (None, "")]
    if scope == "+":
        def following(cur: Hl7Cursor) -> list[Any]:
            out, segs = [], cur.message.segments
            start = cur.current if cur.current is not None else -1
            anchor = segs[start][0] if start >= 0 else None
            for i in range(start + 1, len(segs)):
                if segs[i][0] == anchor:
                    break
                if segs[i][0] == seg and (v := value(cur.message, i)) not in (None, ""):
                    out.append(v)
            return out
        return following

    if scope == ">":
        def in_group(cur: Hl7Cursor) -> Any:
            segs = cur.message.segments
            for i in range((cur.current if cur.current is not None else 0) + 1, len(segs)):
                if segs[i][0] in GROUP_STARTS:
                    return None
                if segs[i][0] == seg:
                    return value(cur.message, i)
            return None
        return in_group

    def single(cur: Hl7Cursor) -> Any:
        index = _locate(cur, seg, occ)
        return None if index is None else value(cur.message, index)
    return single


def _locate(cur: Hl7Cursor, seg: str, occ: int | None) -> int | None:
    segs = cur.message.segments
    if occ is not None:
        found = cur.message.indices(seg)
        return found[occ - 1] if occ <= len(found) else None
    if cur.current is not None:
        for i in range(cur.current, -1, -1):
            if segs[i][0] == seg:
                return i
    for i, fields in enumerate(segs):
        if fields[0] == seg:
            return i
    return None


def _extract(msg: Hl7Message, raw: str, rep: str | None, comp: int | None, sub: int | None) -> Any:
    d = msg.delimiters
    if raw == '""':
        return None  # HL7's explicit null
    reps = raw.split(d.repetition) if d.repetition else [raw]
    if rep == "*":
        values = [_component(d, r, comp, sub) for r in reps]
        return [v for v in values if v not in (None, "")]
    index = int(rep) - 1 if rep else 0
    return _component(d, reps[index], comp, sub) if index < len(reps) else None


def _component(d: Any, raw: str, comp: int | None, sub: int | None) -> str | None:
    if comp is not None:
        parts = raw.split(d.component)
        raw = parts[comp - 1] if comp <= len(parts) else ""
        if sub is not None:
            subs = raw.split(d.subcomponent)
            raw = subs[sub - 1] if sub <= len(subs) else ""
    value = d.decode(raw)
    return value if value != "" else None
