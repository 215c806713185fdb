"""ProvisionSpecifications as HL7 v2.5.1 master file notifications, validated with hl7apy before sending.

The LIMS's interface profile for test master data:
- MFN^M08^MFN_M08 (MFI-1 OMA, numerical observations): one MFE/OM1/OM2 group per numeric limit of a
  specification (OM2-2 the UCUM unit, OM2-6 the inclusive limits as RFR low&high), with OM3 when the limit
  also has a text criterion; and one MFE/OM1 group (no OM2: "OM1-only") per analyte a method reports
  that no specification limits, so the LIMS knows the test and its method.
- MFN^M09^MFN_M09 (MFI-1 OMB, categorical observations): one MFE/OM1/OM3 group per text-only limit
  (OM3-4 the normal text, e.g. "No growth").
- MFE-1 MAD; MFE-2 "<transfer id>/<n>", the change as gxplink numbers it (the LIMS echoes it in MFA-2
  and keeps it in its audit trail); MFE-4 the key: spec id ~ spec version ~ test (CE), types ST~NM~CE
  (a composite key, HL7 v2.5 section 8.5.1.4), or the test alone (CE) for an OM1-only group.
- OM1-2 the LIMS test code (canonical analytes through code table lims_order_codes; LIMS codes pass),
  OM1-3 NM or ST, OM1-5 the producing laboratory, OM1-14 the method (id^name^L), OM1-18 A (atomic),
  OM1-41 the method name and version ("<name>, version <n>").
Every MFI-6 asks AL: the MFK^M08/M09 carries one MFA per record (S posted, U with the reason).

Not a declarative mapping (mappings/): outbound templates have no conditional segments (OM2 or OM3),
no repeated fields (the composite MFE-4) and no join of a limit to the method reporting its analyte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canonical_model.commands.lims import ProvisionSpecifications
from canonical_model.envelope import Envelope
from canonical_model.ids import deterministic_id
from canonical_model.process_definition import AnalyticalMethod
from canonical_model.specification import SpecLimit
from mappings.engine.code_tables import CodeTable
from mappings.engine.hl7 import Delimiters
from mappings.engine.hl7_validate import validate_hl7

D = Delimiters()
VERSION = "2.5.1"
SENDER, FACILITY, RECEIVER, LAB = "GXPLINK", "CAM", "LIMS", "CAM-QC"
FILES = {"M08": ("OMA^Numerical observation master^HL70175", "MFN_M08_MF_TEST_NUMERIC", ()),
         "M09": ("OMB^Categorical observation master^HL70175", "MFN_M09_MF_TEST_CATEGORICAL",
                 ("MFN_M09_MF_TEST_CAT_DETAIL",))}


@dataclass(frozen=True)
class Line:
    """One segment of a message and the hl7apy group it belongs to (the shape validate_hl7 reads)."""

    text: str
    group: tuple[str, ...]
    iteration: tuple[int, ...]


@dataclass(frozen=True)
class Entry:
    """One master file record: a specification's limit of a test, or a test alone (limit None)."""

    code: str
    method: AnalyticalMethod | None
    limit: SpecLimit | None = None
    spec: tuple[str, int] | None = None


@dataclass(frozen=True)
class MasterFile:
    trigger: str  # M08 or M09
    control_id: str  # MSH-10
    message: bytes
    changes: tuple[str, ...]  # MFE-2 of each record


def master_files(command: Envelope[ProvisionSpecifications], codes: CodeTable | None) -> list[MasterFile]:
    """The MFN^M08 and MFN^M09 a command needs (one of them may be empty, and is then not sent)."""
    by_file: dict[str, list[Entry]] = {"M08": [], "M09": []}
    for entry in _entries(command.data, codes):
        text_only = entry.limit is not None and entry.limit.low is None and entry.limit.high is None
        by_file["M09" if text_only else "M08"].append(entry)
    numbered = iter(range(1, sum(map(len, by_file.values())) + 1))
    return [_message(command, trigger, [(f"{command.data.transfer_id}/{next(numbered)}", e) for e in entries])
            for trigger, entries in by_file.items() if entries]


def _entries(data: ProvisionSpecifications, codes: CodeTable | None) -> list[Entry]:
    def code(analyte: str) -> str:
        found = codes.lookup(analyte) if codes is not None else None
        return str(found) if found is not None else analyte
    owner = {analyte: m for m in data.analytical_methods for analyte in m.analytes}
    entries = [Entry(code(limit.analyte), owner.get(limit.analyte), limit, (spec.spec_id, spec.version))
               for spec in data.specifications for limit in spec.limits]
    limited = {limit.analyte for spec in data.specifications for limit in spec.limits}
    entries += [Entry(code(analyte), method) for method in data.analytical_methods for analyte in method.analytes
                if analyte not in limited]
    return entries


def _message(command: Envelope[ProvisionSpecifications], trigger: str, records: list[tuple[str, Entry]]) -> MasterFile:
    master_file, group, detail = FILES[trigger]
    control_id = deterministic_id(command.id, "mfn", trigger)
    lines = [Line(_seg("MSH", {3: SENDER, 4: FACILITY, 5: RECEIVER, 6: LAB, 7: command.time.strftime(
        "%Y%m%d%H%M%S+0000"), 9: f"MFN^{trigger}^MFN_{trigger}", 10: control_id, 11: "P", 12: VERSION},
                       escaped=(9,)), (), ()),
             Line(_seg("MFI", {1: master_file, 3: "UPD", 6: "AL"}, escaped=(1,)), (), ())]
    for n, (change, entry) in enumerate(records):
        where = (group,), (n,)
        lines += [Line(_mfe(change, entry), *where), Line(_om1(n + 1, entry), *where)]
        limit = entry.limit
        if limit is not None and (limit.low is not None or limit.high is not None):
            lines.append(Line(_om2(n + 1, limit), *where))
        if limit is not None and limit.text_criterion is not None:
            lines.append(Line(_seg("OM3", {1: str(n + 1), 4: "^" + D.encode(limit.text_criterion), 7: "ST"},
                                   escaped=(4,)), (group, *detail), (n,)))
    validate_hl7(lines, f"MFN^{trigger}^MFN_{trigger}", VERSION)
    text = "\r".join(line.text for line in lines) + "\r"
    return MasterFile(trigger, control_id, text.encode(), tuple(change for change, _ in records))


def _mfe(change: str, entry: Entry) -> str:
    test = f"{D.encode(entry.code)}^{D.encode(entry.code)}^L"
    if entry.spec is None:
        key, types = test, "CE"
    else:
        key, types = f"{D.encode(entry.spec[0])}~{entry.spec[1]}~{test}", "ST~NM~CE"
    return _seg("MFE", {1: "MAD", 2: D.encode(change), 4: key, 5: types}, escaped=(2, 4, 5))


def _om1(seq: int, entry: Entry) -> str:
    code = D.encode(entry.code)
    fields: dict[int, str] = {1: str(seq), 2: f"{code}^{code}^L", 4: "Y", 5: f"{LAB}^Quality control laboratory^L",
                              8: code, 18: "A"}
    if entry.limit is not None:
        fields[3] = "NM" if entry.limit.low is not None or entry.limit.high is not None else "ST"
    if entry.method is not None:
        method = entry.method
        fields[14] = f"{D.encode(method.method_id)}^{D.encode(method.name)}^L"
        fields[41] = D.encode(f"{method.name}, version {method.version}")
    return _seg("OM1", fields, escaped=tuple(fields))


def _om2(seq: int, limit: SpecLimit) -> str:
    low, high = (_nm(x) if x is not None else "" for x in (limit.low, limit.high))
    return _seg("OM2", {1: str(seq), 2: f"{D.encode(limit.unit or '')}^^UCUM", 6: f"{low}&{high}"}, escaped=(2, 6))


def _seg(name: str, fields: dict[int, Any], escaped: tuple[int, ...] = ()) -> str:
    """A segment from field number -> value; values not in `escaped` are encoded here (delimiters escaped)."""
    top = max(fields)
    values = [str(fields.get(n, "")) if n in escaped else D.encode(str(fields.get(n, ""))) for n in range(1, top + 1)]
    if name == "MSH":
        return "MSH|^~\\&|" + "|".join(values[2:])
    return "|".join([name, *values])


def _nm(value: float) -> str:
    """An HL7 NM: plain decimal notation (no exponent), no trailing '.0'."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text[:-2] if text.endswith(".0") else text
