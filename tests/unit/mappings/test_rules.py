"""Each rule kind, through small mappings compiled like real ones."""

import json
from typing import Any

import pytest

from mappings.engine.errors import TranslationError
from mappings.engine.inbound import InboundMapping

pytestmark = pytest.mark.unit

HEAD = """
version: 1
source: {format: json, match: {path: /kind, equals: batch}}
target: {type: io.gxplink.evt.mes.batch_created, schema_version: 1}
timezone: Europe/London
envelope: {key: [/id]}
fields:
  batch.batch_id: /id
  batch.product: {const: CART-19}
  batch.master_recipe_id: {const: MR-CART19}
  batch.master_recipe_version: {const: 3}
  batch.created_at: {const: "2026-11-22T10:00:00Z"}
"""


def translate(compile_mapping: Any, extra_fields: str, doc: dict[str, Any]) -> dict[str, Any]:
    mapping = compile_mapping(HEAD + extra_fields, system="mes")
    assert isinstance(mapping, InboundMapping)
    (result,) = mapping.translate(json.dumps(doc).encode())
    dumped: dict[str, Any] = result.message.model_dump(mode="json", exclude_none=True)["batch"]
    return dumped


def test_copy_constant_lookup_default_and_datetime_with_zone(compile_mapping: Any) -> None:
    batch = translate(compile_mapping, """
  batch.lot_id: {path: /lot, default: L-UNKNOWN}
  batch.state: {path: /status, map: {REL: scheduled, EXE: running}}
  batch.started_at: {path: /started, datetime: "%d.%m.%Y %H:%M"}
""", {"kind": "batch", "id": "B1", "status": "EXE", "started": "01.07.2026 10:00"})
    assert batch["lot_id"] == "L-UNKNOWN"
    assert batch["state"] == "running"
    assert batch["started_at"] == "2026-07-01T09:00:00Z"  # BST is UTC+1


def test_regex_split_concat_and_first_of(compile_mapping: Any) -> None:
    batch = translate(compile_mapping, """
  batch.lot_id: {concat: [L-, {path: /order, regex: 'PO-(\\d+)'}, "-", {path: /site, split: {sep: ".", index: -1}}]}
  batch.state: {first_of: [/missing, /status]}
""", {"kind": "batch", "id": "B2", "order": "order PO-4711 x", "site": "eu.cam", "status": "created"})
    assert batch["lot_id"] == "L-4711-cam"
    assert batch["state"] == "created"


def test_conditionals_choose_between_rules(compile_mapping: Any) -> None:
    fields = """
  batch.state:
    when: {path: /held, equals: "true"}
    const: held
    else: {path: /status}
"""
    assert translate(compile_mapping, fields, {"kind": "batch", "id": "B3", "held": "true", "status": "running"})[
        "state"] == "held"
    assert translate(compile_mapping, fields, {"kind": "batch", "id": "B3", "status": "running"})["state"] == "running"


@pytest.mark.requirement("P11-010")
def test_a_source_value_that_breaks_a_canonical_rule_names_the_field(compile_mapping: Any) -> None:
    mapping = compile_mapping(HEAD + "  batch.state: /status\n", system="mes")
    with pytest.raises(TranslationError, match=r"batch\.state"):
        mapping.translate(b'{"kind": "batch", "id": "B4", "status": "exploded"}')


def test_unit_conversion_between_ucum_codes(compile_mapping: Any) -> None:
    mapping = compile_mapping("""
version: 1
source: {format: opcua}
target: {type: io.gxplink.evt.deltav.process_value_recorded, schema_version: 1}
envelope: {key: [$node, "$node#SourceTimestamp"]}
fields:
  value.tag: $node
  value.equipment_id: {path: $node, regex: '^([A-Z]+-\\d+)/'}
  value.value: {path: "$node#Value", as: number, convert: {from: {path: "$node#EngineeringUnits"}, to: Cel}}
  value.unit: {const: Cel}
  value.quality: {path: "$node#StatusCode", map: {Good: good, Uncertain: uncertain, Bad: bad}}
  value.source_time: {path: "$node#SourceTimestamp", datetime: iso}
""", system="deltav")
    record = {"node": "BR-101/Temperature", "nodes": {"BR-101/Temperature": {
        "Value": 98.6, "EngineeringUnits": "[degF]", "StatusCode": "Good", "SourceTimestamp": "2026-11-22T10:00:00Z"}}}
    (result,) = mapping.translate(json.dumps(record).encode())
    value = result.message.model_dump()["value"]
    assert value["equipment_id"] == "BR-101" and value["quality"] == "good"
    assert value["value"] == pytest.approx(37.0)
    assert result.key == ("BR-101/Temperature", "2026-11-22T10:00:00Z")


def test_xpath_sources_with_namespaces_and_repeat(compile_mapping: Any) -> None:
    mapping = compile_mapping("""
version: 1
source: {format: xml, namespaces: {q: "urn:qms"}}
target: {type: io.gxplink.evt.mes.batch_created, schema_version: 1}
repeat: //q:Batch
envelope: {key: [string(@id)]}
fields:
  batch.batch_id: string(@id)
  batch.product: q:Product
  batch.master_recipe_id: {const: MR-CART19}
  batch.master_recipe_version: {path: q:Recipe/@version, as: integer}
  batch.state: {const: created}
  batch.created_at: {const: "2026-11-22T10:00:00Z"}
""", system="mes")
    xml = b'<q:Batches xmlns:q="urn:qms"><q:Batch id="B1"><q:Product>CART-19</q:Product><q:Recipe version="3"/>' \
          b'</q:Batch><q:Batch id="B2"><q:Product>CART-19</q:Product><q:Recipe version="4"/></q:Batch></q:Batches>'
    results = mapping.translate(xml)
    assert [r.message.model_dump()["batch"]["batch_id"] for r in results] == ["B1", "B2"]
    assert results[1].message.model_dump()["batch"]["master_recipe_version"] == 4


def test_hostile_xml_is_refused_not_expanded(compile_mapping: Any) -> None:
    mapping = compile_mapping("""
version: 1
source: {format: xml}
target: {type: io.gxplink.evt.mes.batch_created, schema_version: 1}
envelope: {key: [string(@id)]}
fields:
  batch.batch_id: string(/b/@id)
  batch.product: /b
  batch.master_recipe_id: {const: MR}
  batch.master_recipe_version: {const: 1}
  batch.state: {const: created}
  batch.created_at: {const: "2026-11-22T10:00:00Z"}
""", system="mes")
    bomb = b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]><b id="1">&x;</b>'
    try:
        results = mapping.translate(bomb)
    except TranslationError:
        return
    assert "root:" not in str(results[0].message.model_dump())
