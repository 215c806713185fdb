"""Test master data by HL7 master file notification: MFN^M08 (numeric) and MFN^M09 (categorical), answered
with MFK^M08 / MFK^M09 (MFK_M01).

Profile (what this LIMS reads; the adapter writes the same):
  MFI-1 OMA for M08, OMB for M09; MFI-3 UPD (REP, replacing the whole file, is refused); MFI-6 AL, ER, SU or NE.
  Per record: MFE-1 MAD or MUP (an add of what is held is posted again; MDL/MDC/MAC are refused: retire
  specifications in the LIMS), MFE-2 the sender's change id, MFE-4/5 the key: spec id (ST) ~ version (NM) ~
  test (CE), or the test (CE) alone; OM1-2 the test (must match the key), OM1-14 method id^name, OM1-41
  "<method name>, version <n>"; OM2-2.1 the UCUM unit and OM2-6.1 low&high (inclusive) for numeric limits;
  OM3-4 the normal text of a text criterion.
The message is posted whole or not at all: MSA AA and an MFA S per record, or MSA AE with an ERR per refused
record and every MFA U (with its reason, or "not posted" for the records that were fine). Changes go to
the audit trail as the interface user, with the message and the record's change id as the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulators.common.audit import NativeAuditTrail
from simulators.lims.acks import Hl7Error, Peer, msh
from simulators.lims.escape import encode
from simulators.lims.hl7v2 import Message, Segment, comp, dtm, join, seg
from simulators.lims.master_data import METHOD_VERSION, Definition, MasterData

FILES = {"M08": "OMA", "M09": "OMB"}
EVENTS = ("MAD", "MUP")
POSTED = "S^Successful posting of the record defined by the MFE segment^HL70181"


def answer_master_file(msg: Message, peer: Peer, catalog: dict[str, Any], audit: NativeAuditTrail,
                       control_id: str, when: datetime) -> tuple[str, bool]:
    """The MFK text, and whether the catalog changed (the caller saves it)."""
    head, mfi = msg.msh, msg.first("MFI")
    assert head is not None
    trigger = head.get(9, 2)
    problems = _file_problems(mfi, trigger)
    records = _records(msg) if not problems else []
    if not problems and not records:
        problems = [Hl7Error("101", f"MFN^{trigger} needs at least one MFE record", ("MFE", 1))]
    sender = head.text(3, 1) or "unknown"
    posting = MasterData(catalog, audit, f"interface:{sender}", f"master file MFN^{trigger} {head.text(10)}")
    for seq, (definition, _) in enumerate(records, 1):
        if (code := posting.check(definition)) is not None:
            problems.append(Hl7Error(code, f"{definition.change}: {definition.problems[0][1]}", ("MFE", seq, 4)))
    if not problems:
        for definition, _ in records:
            posting.apply(definition)
    answers = [_mfa(d, segment, when, None if not problems else d.problems[0][1] if d.problems else
               "not posted: the message was refused for another record") for d, segment in records]
    mfi_6 = mfi.get(6) if mfi is not None else ""
    shown = [a for a, (d, _) in zip(answers, records, strict=True)
             if mfi_6 in ("", "AL") or (mfi_6 == "ER" and problems) or (mfi_6 == "SU" and not problems)]
    text = join([msh(peer.application, peer.facility, when, comp("MFK", trigger, "MFK_M01"), control_id,
                     peer.processing_id),
                 seg("MSA", "AE" if problems else "AA", peer.control_id,
                     encode((problems[0].message if problems else f"{len(records)} records posted")[:80])),
                 *(e.segment() for e in problems),
                 seg("MFI", mfi.get(1, 0) if mfi is not None else "", "", "UPD", "", "", mfi_6 or "AL"), *shown])
    return text, bool(records) and not problems


def _file_problems(mfi: Segment | None, trigger: str) -> list[Hl7Error]:
    if mfi is None:
        return [Hl7Error("101", "MFI segment is required", ("MFI", 1))]
    errors = []
    if mfi.get(1) != FILES[trigger]:
        errors.append(Hl7Error("103", f"MFN^{trigger} updates master file {FILES[trigger]}, not "
                                      f"{mfi.get(1) or '(empty)'}", ("MFI", 1, 1)))
    if mfi.get(3) != "UPD":
        errors.append(Hl7Error("103", f"file-level event {mfi.get(3) or '(empty)'} is not supported; send UPD "
                                      "(records are added one by one)", ("MFI", 1, 3)))
    if mfi.get(6) not in ("", "AL", "ER", "SU", "NE"):
        errors.append(Hl7Error("103", f"response level {mfi.get(6)} is not in HL7 table 0179", ("MFI", 1, 6)))
    return errors


def _records(msg: Message) -> list[tuple[Definition, Segment]]:
    """Each MFE with the OM1/OM2/OM3 after it, read into a Definition (problems noted, never raised)."""
    groups: list[dict[str, Segment]] = []
    for segment in msg.segments[1:]:
        if segment.name == "MFE":
            groups.append({"MFE": segment})
        elif segment.name in ("OM1", "OM2", "OM3") and groups:
            groups[-1].setdefault(segment.name, segment)
    records = [(_read(g), g["MFE"]) for g in groups]
    seen: dict[tuple[Any, ...], str] = {}
    for definition, _ in records:
        key = (definition.spec, definition.code)
        if seen.setdefault(key, definition.change) != definition.change:
            definition.problems.append(("205", f"the key is also the key of change {seen[key]} in this message"))
    return records


def _read(group: dict[str, Segment]) -> Definition:
    mfe, om1 = group["MFE"], group.get("OM1")
    reps, types = mfe.repetitions(4), [mfe.text(5, repetition=r) for r in range(1, mfe.repetitions(5) + 1)]
    code = mfe.text(4, 1, repetition=reps)
    problems: list[tuple[str, str]] = []
    spec: tuple[str, int] | None = None
    if types == ["ST", "NM", "CE"] and reps == 3 and mfe.text(4, 2, repetition=2) == "":
        version = mfe.text(4, 0, repetition=2)
        if version.isdigit() and int(version) > 0 and mfe.text(4, 0, repetition=1):
            spec = (mfe.text(4, 0, repetition=1), int(version))
        else:
            problems.append(("102", "MFE-4 key needs a spec id and a positive version"))
    elif types != ["CE"] or reps != 1:
        problems.append(("102", "MFE-4/5 key is spec id~version~test (ST~NM~CE) or test (CE)"))
    if mfe.text(1) not in EVENTS:
        problems.append(("103", f"record-level event {mfe.text(1) or '(empty)'} is not supported; send MAD or MUP"))
    if not code:
        problems.append(("101", "MFE-4 names no test"))
    if om1 is None or om1.text(2, 1) != code:
        problems.append(("101", f"OM1-2 must name the test of the key ({code})"))
    limit = _limit(group, problems) if spec is not None else None
    return Definition(mfe.text(2) or "(no MFE-2)", code, (om1.text(2, 2) if om1 else "") or code, spec, limit,
                      _method(om1), problems)


def _limit(group: dict[str, Segment], problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    om2, om3 = group.get("OM2"), group.get("OM3")
    limit: dict[str, Any] = {"unit": None, "lo": None, "hi": None, "text_spec": None}
    if om2 is not None:
        limit["unit"] = om2.text(2, 1) or None
        for key, sub in (("lo", 1), ("hi", 2)):
            raw = om2.text(6, 1, sub)
            try:
                limit[key] = float(raw) if raw else None
            except ValueError:
                problems.append(("102", f"OM2-6 {key} {raw!r} is not a number"))
        if (limit["lo"] is None and limit["hi"] is None) or limit["unit"] is None:
            problems.append(("101", "OM2 needs a unit (OM2-2) and a low or high limit (OM2-6)"))
        elif limit["lo"] is not None and limit["hi"] is not None and limit["lo"] > limit["hi"]:
            problems.append(("102", "OM2-6 low is greater than high"))
    if om3 is not None:
        limit["text_spec"] = om3.text(4, 2) or om3.text(4, 1) or None
    if om2 is None and limit["text_spec"] is None:
        problems.append(("101", "a specification record needs OM2 (numeric limits) or OM3-4 (normal text)"))
        return None
    return limit


def _method(om1: Segment | None) -> dict[str, Any] | None:
    if om1 is None or not om1.text(14, 1):
        return None
    described = METHOD_VERSION.search(om1.text(41))
    return {"id": om1.text(14, 1), "name": om1.text(14, 2) or om1.text(14, 1),
            "version": int(described.group(1)) if described else None}


def _mfa(definition: Definition, mfe: Segment, when: datetime, refused: str | None) -> str:
    status = POSTED if refused is None else comp("U", encode(refused[:200]), "HL70181")
    key, types = (mfe.fields[n] if len(mfe.fields) > n else "" for n in (4, 5))  # echoed as sent (repetitions)
    return seg("MFA", mfe.get(1) or "MAD", mfe.get(2), dtm(when), status, key, types)
