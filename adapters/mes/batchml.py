"""B2MML/BatchML V0700 batch production records, validated with lxml against MESA's schemas.

The schemas ship in `schemas/` beside this module (BatchML-BatchProductionRecord.xsd and all it
includes; see schemas/PROVENANCE.md). The Business To Manufacturing Markup Language (B2MML) is used
courtesy of MESA International.

Documents are parsed without network access, DTD loading or entity expansion, and one with a DOCTYPE
is refused (records may come from outside gxplink). Not well-formed is `MalformedBatchRecord`;
well-formed but not a valid BatchML BatchProductionRecord is `InvalidBatchRecord`, with the schema's
first errors and their lines.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.mes.batchml_summary import summarize
from messaging.errors import PermanentError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ROOT_SCHEMA = SCHEMA_DIR / "BatchML-BatchProductionRecord.xsd"
B2MML = "http://www.mesa.org/xml/B2MML"
ROOT = f"{{{B2MML}}}BatchProductionRecord"
MAX_ERRORS = 5


class InvalidBatchRecord(PermanentError):
    """Not a BatchML V0700 BatchProductionRecord; `errors` are the schema's messages with line numbers."""

    def __init__(self, message: str, errors: tuple[str, ...] = ()) -> None:
        self.errors = errors
        super().__init__(message + (": " + "; ".join(errors) if errors else ""))


class MalformedBatchRecord(InvalidBatchRecord):
    """Not well-formed XML (a document cut off in transit is one)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@functools.cache
def schema() -> etree.XMLSchema:
    """MESA's schema, compiled once (includes resolve from the packaged files only)."""
    return etree.XMLSchema(etree.parse(str(ROOT_SCHEMA), _parser()))


def validate(xml: bytes) -> etree._Element:
    """The document's root, once it is a schema-valid BatchProductionRecord."""
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedBatchRecord(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidBatchRecord("a DOCTYPE is not accepted in a batch production record (no DTDs, no entities)")
    if root.tag != ROOT:
        raise InvalidBatchRecord(f"root element is {root.tag}, not a B2MML BatchProductionRecord ({ROOT})")
    checker = schema()
    try:
        valid = checker.validate(root)
    except etree.XMLSchemaValidateError as exc:
        raise InvalidBatchRecord(f"schema validation failed: {exc}") from None
    if not valid:
        errors = tuple(f"line {e.line}: {e.message}" for e in list(checker.error_log)[:MAX_ERRORS])
        raise InvalidBatchRecord("not valid against BatchML-BatchProductionRecord.xsd (V0700)", errors)
    return root


def import_record(xml: bytes) -> dict[str, Any]:
    """Validate a batch production record and summarise it (batch, product, steps, signatures...)."""
    return summarize(validate(xml))
