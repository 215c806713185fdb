"""Golden tests: every mapping has `<name>.golden.yaml` beside it, with inputs and what they must give.

    cases:
      - name: viability result
        input: |                       # or input_file: relative to the golden file
          MSH|^~\\&|...
        expect:                        # one entry per produced message, in order
          - data: {...}                # the canonical payload, exactly
            envelope: {subject: ...}   # optional: envelope fields that must match
      - name: a text result in a numeric field
        input: ...
        error: "is not a valid number" # the translation must fail with this in its message
        received: "2026-01-01T00:00:00+00:00"  # optional: what `now` gives (this is the default)

For an outbound mapping the input is a canonical envelope (a mapping) and `expect` is the HL7 text
(segments one per line) or the JSON document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mappings.engine.catalog import Catalog, Mapping
from mappings.engine.errors import MappingError, TranslationError
from mappings.engine.inbound import InboundMapping
from mappings.engine.yaml_lines import Node, load_yaml

GOLDEN_RECEIVED = "2026-01-01T00:00:00+00:00"  # `now` in golden cases, so expectations are exact


@dataclass(frozen=True)
class CaseResult:
    mapping: str
    case: str
    ok: bool
    detail: str = ""


def golden_file(mapping_file: Path) -> Path:
    return mapping_file.with_name(mapping_file.stem + ".golden.yaml")


def run_golden(catalog: Catalog, only: Path | None = None) -> list[CaseResult]:
    results: list[CaseResult] = []
    for name, path in sorted(catalog.files.items()):
        if only is not None and not path.resolve().is_relative_to(only.resolve()):
            continue
        golden = golden_file(path)
        if not golden.exists():
            results.append(CaseResult(name, "-", False, f"no golden test file {golden.name} beside {path.name}"))
            continue
        try:
            results += _run_file(catalog.mappings[name], golden)
        except MappingError as exc:
            results.append(CaseResult(name, "-", False, str(exc)))
    return results


def _run_file(mapping: Mapping, golden: Path) -> list[CaseResult]:
    doc = load_yaml(golden)
    cases = doc.get("cases") if isinstance(doc, Node) else None
    if not isinstance(cases, list) or not cases:
        raise MappingError(doc.loc() if isinstance(doc, Node) else None, f"{golden}: needs a non-empty 'cases' list")
    return [_run_case(mapping, case, golden) for case in cases]


def _run_case(mapping: Mapping, case: Any, golden: Path) -> CaseResult:
    name = str(case.get("name", "?")) if isinstance(case, dict) else "?"
    ref = mapping.ref
    if not isinstance(case, Node) or ("expect" in case) == ("error" in case):
        return CaseResult(ref, name, False, "a case needs input or input_file, and exactly one of expect or error")
    try:
        produced = _produce(mapping, case, golden)
    except TranslationError as exc:
        if "error" in case and str(case["error"]) in str(exc):
            return CaseResult(ref, name, True)
        return CaseResult(ref, name, False, f"translation failed: {exc}")
    if "error" in case:
        return CaseResult(ref, name, False, f"expected an error containing {case['error']!r}, got a result")
    return _compare(ref, name, produced, case["expect"])


def _produce(mapping: Mapping, case: Node, golden: Path) -> Any:
    raw: Any = case.get("input")
    if "input_file" in case:
        raw = (golden.parent / str(case["input_file"])).read_bytes()
    if isinstance(mapping, InboundMapping):
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        received = datetime.fromisoformat(str(case.get("received", GOLDEN_RECEIVED)))
        return [{"data": t.message.model_dump(mode="json", exclude_none=True),
                 "envelope": {"subject": t.subject, "correlationid": t.correlationid, "actor": t.actor,
                              "sourcetime": t.sourcetime.isoformat() if t.sourcetime else None,
                              "key": list(t.key)}}
                for t in mapping.translate(data, received)]
    rendered = mapping.render(json.loads(json.dumps(raw)))
    return rendered.decode().replace("\r", "\n").strip() if isinstance(rendered, bytes) else rendered


def _compare(ref: str, name: str, produced: Any, expected: Any) -> CaseResult:
    if isinstance(produced, str) or not isinstance(produced, list):
        want = str(expected).strip() if isinstance(produced, str) else expected
        ok = produced == want
        return CaseResult(ref, name, ok, "" if ok else f"expected {want!r}\n     got {produced!r}")
    if not isinstance(expected, list) or len(expected) != len(produced):
        count = len(expected) if isinstance(expected, list) else "?"
        return CaseResult(ref, name, False, f"expected {count} messages, got {len(produced)}")
    for i, (want, got) in enumerate(zip(expected, produced, strict=True), start=1):
        if want.get("data") != got["data"]:
            return CaseResult(ref, name, False, f"message {i}: data differs\n   expected {json.dumps(want.get('data'))}"
                                                f"\n        got {json.dumps(got['data'])}")
        for key, value in (want.get("envelope") or {}).items():
            if got["envelope"].get(key) != value:
                return CaseResult(ref, name, False, f"message {i}: envelope.{key} is {got['envelope'].get(key)!r}, "
                                                    f"expected {value!r}")
    return CaseResult(ref, name, True)
