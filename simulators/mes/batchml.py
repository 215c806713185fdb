"""Export of a batch's electronic record as a B2MML/BatchML V0700 BatchProductionRecord (ISA-88.04).

The document validates against MESA's BatchML-BatchProductionRecord.xsd: header, change history from
the native audit trail, events from the change feed, the personnel who acted, and samples with
their tests and QC results. The Business To Manufacturing Markup Language (B2MML) is used courtesy
of MESA International.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from simulators import reference
from simulators.common.audit import AuditEntry
from simulators.mes.xmlbuild import el, entry, serialize, text, value

# change-feed type -> (EventType, EventSubType, OtherValue of the sub type)
EVENT_TYPES: dict[str, tuple[str, str, str | None]] = {
    "batch_created": ("Control Recipe", "State Change", None),
    "batch_state_changed": ("Control Recipe", "State Change", None),
    "step_started": ("Procedural Execution", "State Change", None),
    "step_completed": ("Procedural Execution", "State Change", None),
    "parameter_recorded": ("Procedural Execution", "Parameter Data", None),
    "material_consumed": ("Material", "Consume", None),
    "sample_pulled": ("Operator", "Other", "Sample Pull"),
    "step_signed_off": ("Operator", "Security", None),
    "qc_summary_recorded": ("General", "Other", "QC Result Summary"),
    "external_reference_attached": ("General", "Other", "External Reference"),
}
TESTS = {t["code"]: t for t in reference.RELEASE_TESTS}


def _event(events: etree._Element, rec: dict[str, Any], steps: dict[str, dict[str, Any]]) -> None:
    kind, sub, other = EVENT_TYPES.get(rec["type"], ("Other", "Other", rec["type"]))
    data = rec["data"]
    node = entry(events, "Event", f"EVT-{rec['seq']}", "Event", rec["at"],
                 external=data.get("reference") if rec["type"] == "external_reference_attached" else None,
                 description=f"{rec['type']} {rec['record_type']} {rec['record_id']}")
    el(node, "EventType", kind, **({"OtherValue": rec["type"]} if kind == "Other" else {}))
    el(node, "EventSubType", sub, **({"OtherValue": other} if other else {}))
    step = steps.get(data.get("step_id") or "")
    if step:
        el(node, "EquipmentID", step["equipment_id"])
    if rec["type"] == "parameter_recorded":
        value(node, "Value", data["value"], data["unit"])
        if data.get("previous_value") is not None:
            value(node, "PreviousValue", data["previous_value"], data["unit"])
        el(node, "MessageText", f"{data['name']} ({data['class']}) {'in' if data['in_range'] else 'OUT OF'} range")
    elif rec["type"] == "material_consumed":
        value(node, "Value", data["quantity"], data["unit"])
        el(node, "MessageText", f"lot {data['lot']} of {data['material']}")
    elif rec["type"] == "batch_state_changed":
        value(node, "Value", data["state"])
        value(node, "PreviousValue", data["previous_state"])
        if data.get("reason"):
            el(node, "MessageText", data["reason"])
    elif rec["type"] == "step_signed_off":
        value(node, "Value", data["meaning"])
        el(node, "MessageText", f"signed by {data['name']}; record sha256 {data['record_hash']}")
    el(node, "PersonID", rec["user"])
    if step:
        el(node, "ProceduralElementReference", step["step_id"])


def _change(history: etree._Element, e: AuditEntry) -> None:
    what = f"{e.action} {e.record_type}" + (f" {e.field}: {text(e.old)} -> {text(e.new)}" if e.field else "")
    node = entry(history, "Change", f"AUD-{e.seq}", "Change", e.at, description=f"{what} by {e.user}")
    el(node, "RecordReference", e.record_id)
    value(node, "PrechangeData", e.old)
    if e.reason:
        el(node, "Reason", e.reason)


def _sample(samples: etree._Element, batch: dict[str, Any], sample: dict[str, Any] | None, codes: list[str],
            results: list[tuple[dict[str, Any], dict[str, Any]]], steps: dict[str, dict[str, Any]]) -> None:
    sample_id = sample["sample_id"] if sample else f"QC-{batch['batch_id']}"
    node = entry(samples, "Sample", sample_id, "Sample", sample["pulled_at"] if sample else None)
    el(node, "SampleSourceID", batch["lot"])
    if sample and sample["quantity"]:
        size = el(node, "SampleSize")
        el(size, "QuantityString", sample["quantity"]["value"])
        el(size, "DataType", "double")
        el(size, "UnitOfMeasure", sample["quantity"]["unit"])
    if sample:
        el(node, "SampleType", sample["type"])
        step = steps.get(sample["step_id"] or "")
        if step:
            el(node, "EquipmentID", step["equipment_id"])
            el(node, "ProceduralElementReference", step["step_id"])
    for code in codes:
        test = entry(node, "SampleTest", f"{sample_id}-{code}", "Sample Test")
        el(test, "TestCode", code)
        el(test, "TestName", TESTS.get(code, {}).get("analyte", code))
        for summary, result in results:
            if result["test_code"] != code:
                continue
            res = entry(test, "SampleTestResult", f"{summary['summary_id']}-{code}", "Sample Test Result",
                        summary["recorded_at"], external=summary["lims_reference"])
            el(res, "TestDisposition", "conforms" if result["conforms"] else "does not conform")
            measured = result["value"] if result.get("value") is not None else result.get("text")
            value(res, "Results", measured, result.get("unit"))


def _samples(root: etree._Element, batch: dict[str, Any], steps: dict[str, dict[str, Any]]) -> None:
    results = [(s, r) for s in batch["qc_summaries"] for r in s["results"]]
    if not batch["samples"] and not results:
        return
    samples = el(root, "Samples")
    placed: set[int] = set()
    for sample in batch["samples"]:
        mine = [(s, r) for s, r in results if r.get("sample_id") in (None, sample["sample_id"])
                and r["test_code"] in sample["test_codes"]]
        placed.update(id(r) for _, r in mine)
        _sample(samples, batch, sample, sample["test_codes"], mine, steps)
    if loose := [(s, r) for s, r in results if id(r) not in placed]:
        codes = list(dict.fromkeys(r["test_code"] for _, r in loose))
        _sample(samples, batch, None, codes, loose, steps)


def batch_production_record(batch: dict[str, Any], feed: list[dict[str, Any]], audit: list[AuditEntry],
                            names: dict[str, str], now: str) -> bytes:
    steps = {s["step_id"]: s for s in batch["steps"]}
    root = el(None, "BatchProductionRecord")
    el(root, "ID", f"BPR-{batch['batch_id']}")
    el(root, "EntryID", f"BPR-{batch['batch_id']}")
    el(root, "ObjectType", "Batch Production Record")
    el(root, "TimeStamp", now)
    el(root, "Description", f"Batch production record of {batch['batch_id']} ({batch['product']})")
    for tag, content in (("PublishedDate", now), ("CreationDate", batch["created_at"]), ("BatchID", batch["batch_id"]),
                      ("BatchProductionRecordSpec", f"{batch['master_batch_record_id']} "
                                                    f"v{batch['master_batch_record_version']}"),
                      ("EquipmentID", batch["steps"][0]["equipment_id"] if batch["steps"] else None),
                      ("LastChangedDate", feed[-1]["at"] if feed else None), ("LotID", batch["lot"]),
                      ("MaterialDefinitionID", batch["product"]), ("RecordStatus", batch["state"]),
                      ("Version", str(batch["master_batch_record_version"]))):
        if content is not None:
            el(root, tag, content)
    if audit:
        history = el(root, "ChangeHistory")
        for e in audit:
            _change(history, e)
    if feed:
        events = el(root, "Events")
        for rec in feed:
            _event(events, rec, steps)
    if people := sorted({rec["user"] for rec in feed}):
        personnel = el(root, "PersonnelIdentification")
        for user in people:
            manifest = entry(personnel, "PersonnelIdentificationManifest", f"PIM-{user}",
                             "Personnel Identification Manifest")
            el(manifest, "RecordReference", user)
            el(manifest, "Name", names.get(user, user))
            el(manifest, "ChangeIndication", "Added")
    _samples(root, batch, steps)
    return serialize(root)
