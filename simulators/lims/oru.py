"""ORU^R01 (v2.5.1, ORU_R01 structure) carrying QC results to the configured receiver.

One ORC/OBR group per ordered line (a single test or the release panel), then one OBX per analyte:
OBX-2 NM with OBX-6 as UCUM `code^text^UCUM`, or ST for sterility/mycoplasma; OBX-7 the specification
range; OBX-8 N/L/H/A; OBX-11 F, or C in a correction (which carries only the corrected test, with
OBR-25 C and an NTE giving old -> new value and reason); OBX-14 the observation time; OBX-16 the
analyst; OBX-17 the method. SPM closes each group with the sample id. Text is escaped on the way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulators.lims.acks import msh
from simulators.lims.catalog import UNIT_TEXT
from simulators.lims.escape import encode
from simulators.lims.hl7v2 import comp, dtm, join, seg
from simulators.reference import USERS

_NAMES = {u["id"]: u["name"] for u in USERS}


def _cwe(test: dict[str, Any]) -> str:
    local = [encode(test["code"]), encode(test["analyte"]), "L"]
    return comp(*local, test["loinc"], encode(test["analyte"]), "LN") if test.get("loinc") else comp(*local)


def _observer(user: str) -> str:
    """OBX-16 as XCN id^family^given."""
    given, _, family = _NAMES.get(user, "").partition(" ")
    return comp(encode(user), encode(family), encode(given))


def _obx(n: int, test: dict[str, Any], result: dict[str, Any]) -> list[str]:
    unit = comp(encode(result["unit"]), encode(UNIT_TEXT.get(result["unit"], result["unit"])), "UCUM") \
        if result.get("unit") else ""
    when = dtm(datetime.fromisoformat(result["observed_at"]))
    segments = [seg("OBX", str(n), result["type"], _cwe(test), "", encode(result["text"]), unit,
                    encode(result["range"]), result["flag"], "", "", result["status"], "", "", when, "",
                    _observer(result["analyst"]), comp("", encode(test["method"])))]
    notes = list(result.get("notes", []))
    return segments + [seg("NTE", str(i), "L", encode(note)) for i, note in enumerate(notes, 1)]


def build_oru(order: dict[str, Any], catalog: dict[str, Any], receiver: dict[str, Any], control_id: str,
              now: datetime, only: str | None = None) -> str:
    """The ORU for an order's reported results; `only` = one test code for a corrected-result message."""
    segments = [msh(encode(receiver.get("application") or ""), encode(receiver.get("facility") or ""), now,
                    "ORU^R01^ORU_R01", control_id, "P", "AL", "NE")]
    results, set_id = order["results"], 0
    for line in order["lines"]:
        codes = [c for c in line["tests"] if c in results and (only is None or c == only)]
        if not codes:
            continue
        set_id += 1
        status = "C" if only else "F"
        placer, filler = encode(line.get("placer_order") or ""), comp(encode(order["order_id"]), "LIMS")
        ordered = catalog["tests"].get(line["code"]) or {"code": line["code"], "analyte": catalog["panel"]["name"]}
        segments += [seg("ORC", "RE", placer, filler, encode(order.get("batch_id") or ""), "CM"),
                     seg("OBR", str(set_id), placer, filler, _cwe(ordered), "", "", dtm(now), *[""] * 14, dtm(now),
                         "", "", status)]
        segments += [seg("NTE", str(i), "P", encode(c)) for i, c in enumerate(order["comments"] + line["comments"], 1)]
        for n, code in enumerate(codes, 1):
            segments += _obx(n, catalog["tests"][code], results[code])
        kind = comp("", encode(order["sample_type"])) if order.get("sample_type") else "CTP^Cell therapy product^L"
        segments.append(seg("SPM", "1", encode(order["sample_id"]), encode(order.get("batch_id") or ""), kind))
    return join(segments)
