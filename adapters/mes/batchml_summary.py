"""What a (schema-valid) BatchML batch production record says, as a plain summary.

Header (record and batch ids, product, lot, status, master recipe spec), the steps its events refer
to (ISA-88 procedural element references, in order of first appearance), the electronic signatures
(Operator / Security events, the signer's name from the personnel manifests), material consumption
and samples with their tests. Texts are returned as written; nothing is inferred from descriptions.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

NS = {"b": "http://www.mesa.org/xml/B2MML"}
HEADER = {"record_id": "ID", "batch_id": "BatchID", "product": "MaterialDefinitionID", "lot_id": "LotID",
          "status": "RecordStatus", "specification": "BatchProductionRecordSpec", "version": "Version",
          "created_at": "CreationDate", "published_at": "PublishedDate", "last_changed_at": "LastChangedDate"}


def _text(node: etree._Element, path: str) -> str | None:
    found = node.findtext(path, namespaces=NS)
    return found.strip() if found is not None and found.strip() else None


def _names(root: etree._Element) -> dict[str, str]:
    names: dict[str, str] = {}
    for manifest in root.iterfind("b:PersonnelIdentification/b:PersonnelIdentificationManifest", NS):
        person, name = _text(manifest, "b:RecordReference"), _text(manifest, "b:Name")
        if person and name:
            names[person] = name
    return names


def _steps(events: list[etree._Element]) -> list[dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        step_id, at = _text(event, "b:ProceduralElementReference"), _text(event, "b:TimeStamp")
        if not step_id:
            continue
        step = steps.setdefault(step_id, {"step_id": step_id, "equipment_id": _text(event, "b:EquipmentID"),
                                          "first_event_at": at, "last_event_at": at, "events": 0})
        step["events"] += 1
        step["last_event_at"] = at or step["last_event_at"]
    return list(steps.values())


def _signatures(events: list[etree._Element], names: dict[str, str]) -> list[dict[str, Any]]:
    signed = []
    for event in events:
        if _text(event, "b:EventType") != "Operator" or _text(event, "b:EventSubType") != "Security":
            continue
        person = _text(event, "b:PersonID")
        signed.append({"entry_id": _text(event, "b:EntryID"), "step_id": _text(event, "b:ProceduralElementReference"),
                       "meaning": _text(event, "b:Value/b:ValueString"), "signer_id": person,
                       "signer_name": names.get(person or ""), "signed_at": _text(event, "b:TimeStamp"),
                       "text": _text(event, "b:MessageText")})
    return signed


def _consumptions(events: list[etree._Element]) -> list[dict[str, Any]]:
    return [{"entry_id": _text(e, "b:EntryID"), "step_id": _text(e, "b:ProceduralElementReference"),
             "quantity": _text(e, "b:Value/b:ValueString"), "unit": _text(e, "b:Value/b:UnitOfMeasure"),
             "at": _text(e, "b:TimeStamp"), "text": _text(e, "b:MessageText")}
            for e in events if _text(e, "b:EventType") == "Material" and _text(e, "b:EventSubType") == "Consume"]


def _samples(root: etree._Element) -> list[dict[str, Any]]:
    samples = []
    for sample in root.iterfind("b:Samples/b:Sample", NS):
        tests = [{"test_code": _text(t, "b:TestCode"),
                  "results": [{"disposition": _text(r, "b:TestDisposition"),
                               "value": _text(r, "b:Results/b:ValueString"),
                               "unit": _text(r, "b:Results/b:UnitOfMeasure")}
                              for r in t.iterfind("b:SampleTestResult", NS)]}
                 for t in sample.iterfind("b:SampleTest", NS)]
        samples.append({"sample_id": _text(sample, "b:EntryID"), "type": _text(sample, "b:SampleType"),
                        "step_id": _text(sample, "b:ProceduralElementReference"), "tests": tests})
    return samples


def summarize(root: etree._Element) -> dict[str, Any]:
    events = list(root.iterfind("b:Events/b:Event", NS))
    summary: dict[str, Any] = {key: _text(root, f"b:{tag}") for key, tag in HEADER.items()}
    summary.update(steps=_steps(events), signatures=_signatures(events, _names(root)),
                   consumptions=_consumptions(events), samples=_samples(root), events=len(events),
                   changes=len(root.findall("b:ChangeHistory/b:Change", NS)))
    return summary
