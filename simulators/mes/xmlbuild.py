"""Small helpers for writing B2MML elements in schema order with lxml."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

B2MML = "http://www.mesa.org/xml/B2MML"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value: Any) -> str:
    """A value as XML character data (the API refuses control characters; this keeps the export safe anyway)."""
    if isinstance(value, str):
        raw = value
    elif isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raw = json.dumps(value)
    else:
        raw = str(value)
    return _NOT_XML.sub("\ufffd", raw)


def el(parent: etree._Element | None, tag: str, value: Any = None, **attrs: str) -> etree._Element:
    qname = f"{{{B2MML}}}{tag}"
    node = etree.Element(qname, nsmap={None: B2MML}) if parent is None else etree.SubElement(parent, qname)
    for key, attr in attrs.items():
        node.set(key, attr)
    if value is not None:
        node.text = text(value)
    return node


def entry(parent: etree._Element, tag: str, entry_id: str, object_type: str, at: str | None = None,
          external: str | None = None, description: str | None = None, other: str | None = None) -> etree._Element:
    """An element that starts with the BatchProductionRecordEntryType group (EntryID, ObjectType...)."""
    node = el(parent, tag)
    el(node, "EntryID", entry_id)
    el(node, "ObjectType", object_type, **({"OtherValue": other} if other else {}))
    if at:
        el(node, "TimeStamp", at)
    if external:
        el(node, "ExternalReference", external)
    if description:
        el(node, "Description", description)
    return node


def value(parent: etree._Element, tag: str, raw: Any, unit: str | None = None) -> etree._Element:
    """A ValueType (ValueString, DataType, UnitOfMeasure); None becomes xsi:nil."""
    node = el(parent, tag)
    if raw is None:
        node.set(f"{{{XSI}}}nil", "true")
        return node
    el(node, "ValueString", raw)
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    el(node, "DataType", "double" if numeric else "boolean" if isinstance(raw, bool) else "string")
    if unit:
        el(node, "UnitOfMeasure", unit)
    return node


def serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
