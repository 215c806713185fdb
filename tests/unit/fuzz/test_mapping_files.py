"""Fuzzing the shipped mapping files: a mutated mapping either still loads or is refused with MappingError.

Each example takes one shipped mapping YAML, damages it (keys dropped or added, values of the wrong
type, paths that do not exist, unknown modifiers and code tables, cut-off text, stray bytes and
control characters) and loads it through `load_mapping`. The property: a compiled mapping named after
its folder, or a `MappingError` whose location is the mutated file with a real line and whose message
says what is wrong; never any other exception.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mappings.engine.catalog import MAPPINGS_ROOT, Mapping, load_mapping, mapping_files
from mappings.engine.code_tables import CodeTable, load_code_tables
from mappings.engine.errors import MappingError

pytestmark = pytest.mark.unit

TABLES: dict[str, CodeTable] = load_code_tables(MAPPINGS_ROOT / "code_tables")
SHIPPED: dict[str, bytes] = {f"{p.parent.name}/{p.name}": p.read_bytes() for p in mapping_files(MAPPINGS_ROOT)}
DOCUMENTS: dict[str, Any] = {name: yaml.safe_load(raw) for name, raw in SHIPPED.items()}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values a careless author (or a bad merge) leaves behind: wrong types, wrong paths, unknown modifiers.
_wrong_paths = st.sampled_from(["OBX-99.x.y", "ZZZ", "MSH-", "/no/such/pointer", "no-leading-slash", "$node#",
                                "#Value", "//[", "soap:Nope/q:x", "^", "OBX-5(", ">", "+", "-1"])
_unknown_rules = st.sampled_from([
    {"lookup": "no_such_table"}, {"path": "OBX-5", "lookup": "no_such_table"}, {"path": "/a", "as": "frobnicate"},
    {"path": "/a", "datetime": "martian"}, {"path": "/a", "regex": "(unclosed"}, {"concat": "not a list"},
    {"first_of": []}, {"path": "/a", "map": ["not", "a", "map"]}, {"path": "/a", "when": 3},
    {"path": "/a", "convert": {"to": "furlong"}}, {"each": {}}, {"const": {"a": 1}}, {"path": "/a", "colour": "red"},
    {"path": "/a", "join": 3, "split": None}, {"when": {"nonsense": 1}, "const": 1},
    {"path": "/a", "timezone": "Mars/Olympus"},
])
_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20) | _wrong_paths)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8) | st.sampled_from(["path", "when", "lookup"]), inner,
                                         max_size=3), max_leaves=6) | _unknown_rules
_keys = st.sampled_from(["bogus", "path", "const", "lookup", "regex", "as", "when", "else", "default", "join", "map",
                         "required", "each", "concat", "first_of", "repeat", "variants", "namespaces", "direction",
                         "segments", "fields", "version", "mapping", "0", "3.x"])


def _containers(node: Any, found: list[dict[Any, Any] | list[Any]]) -> list[dict[Any, Any] | list[Any]]:
    if isinstance(node, dict | list) and node:
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


@st.composite
def structurally_mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped mapping, parsed, with one to three keys dropped, replaced or added, dumped again."""
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    doc = copy.deepcopy(DOCUMENTS[name])
    for _ in range(draw(st.integers(1, 3))):
        containers = _containers(doc, [])
        if not containers:
            break
        container = draw(st.sampled_from(containers))
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if action == "drop":
            del container[key]
        elif action == "replace":
            container[key] = copy.deepcopy(draw(_values))
        elif isinstance(container, dict):
            container[draw(_keys)] = copy.deepcopy(draw(_values))
        else:
            container.insert(key, copy.deepcopy(draw(_values)))
    return name, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()


_junk = st.sampled_from([b"\x00", b"\x07", b"\x1b[0m", b"\xff\xfe", b"\xc3", b"\t", b"{", b"[", b"]", b": :",
                         b"- ", b"&a [*a]", b"*undefined", b"!!python/object/apply:os.system ['true']", b"? ",
                         b"---\n", b"%YAML 9.9\n", b"\r", b"\xef\xbb\xbf", b"'", b'"', b"|\n", b"\n  - x\n"])


@st.composite
def textually_mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped mapping's bytes, cut off, with lines dropped, or with junk (bytes, YAML syntax) spliced in."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    raw = SHIPPED[name]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["cut", "splice", "drop_line", "bytes"]))
        if action == "cut":
            raw = raw[:at]
        elif action == "splice":
            raw = raw[:at] + draw(_junk) + raw[at:]
        elif action == "bytes":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at + 1:]
        else:
            lines = raw.split(b"\n")
            del lines[at % len(lines)]
            raw = b"\n".join(lines)
    return name, raw


def _edited(name: str, edit: Callable[[Any], None]) -> tuple[str, bytes]:
    doc = copy.deepcopy(DOCUMENTS[name])
    edit(doc)
    return name, yaml.safe_dump(doc, sort_keys=False).encode()


def _spliced(name: str, after: bytes, junk: bytes) -> tuple[str, bytes]:
    raw = SHIPPED[name]
    at = raw.index(after) + len(after)
    return name, raw[:at] + junk + raw[at:]


def _first_segment(doc: dict[str, Any]) -> dict[str, Any]:
    segment: dict[str, Any] = next(s for s in doc["segments"] if "fields" in s)
    return segment


def _first_segment_fields(doc: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = _first_segment(doc)["fields"]
    return fields


def _load(root: Path, name: str, raw: bytes) -> Mapping:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return load_mapping(path, root, TABLES)


def _check(root: Path, name: str, raw: bytes) -> None:
    try:
        mapping = _load(root, name, raw)
    except MappingError as exc:
        assert exc.loc is not None, f"no location: {exc}"
        assert exc.loc.file.endswith(name), exc.loc
        assert 1 <= exc.loc.line <= raw.count(b"\n") + raw.count(b"\r") + 1, f"line {exc.loc.line} of {name}: {exc}"
        assert exc.message.strip(), "a MappingError without a message"
        return
    system = name.split("/")[0]
    assert mapping.ref.startswith(f"{system}/") and mapping.system == system


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-mappings") / "mappings"


def test_every_shipped_mapping_loads_unchanged(root: Path) -> None:
    """The baseline the mutations start from: all shipped files compile."""
    for name, raw in SHIPPED.items():
        assert _load(root, name, raw).ref.startswith(name.split("/")[0])


@FUZZ
@given(case=structurally_mutated())
# Found by this test: a segment field key that is not a number (outbound.py raised ValueError from int()).
@example(case=_edited("lims/place_test_order.yaml", lambda d: _first_segment_fields(d).update(first_of="MSH-10")))
# ...segment fields given as a list (AttributeError: no .items()).
@example(case=_edited("lims/place_test_order.yaml", lambda d: _first_segment(d).update(fields=["3", "4"])))
# XPath namespaces with an empty prefix (lxml: "default namespace is not supported") or a non-text URI (TypeError).
@example(case=_edited("qms/soap_deviation_opened.yaml", lambda d: d["source"]["namespaces"].update({"": "urn:x"})))
@example(case=_edited("qms/soap_deviation_opened.yaml", lambda d: d["source"]["namespaces"].update(q={"a": 1})))
# `variants` that is not a list (TypeError: 'bool' object is not iterable).
@example(case=_edited("lims/oru_r01.yaml", lambda d: d["target"].update(variants=True)))
@example(case=_edited("deltav/process_value.yaml", lambda d: d["fields"].update({"value.value": math.nan})))
def test_a_structurally_damaged_mapping_is_refused_with_file_line_and_reason(root: Path,
                                                                              case: tuple[str, bytes]) -> None:
    _check(root, *case)


@FUZZ
@given(case=textually_mutated())
# Found by this test: a byte that is not UTF-8 escaped as UnicodeDecodeError instead of a MappingError.
@example(case=_spliced("deltav/phase_state.yaml", b"description: >\n", b"\xff"))
# ...and a control character, which PyYAML reports with a ReaderError (not a MarkedYAMLError).
@example(case=_spliced("deltav/abort_batch_phase.yaml", b"version: 1\n", b"\x07"))
@example(case=_spliced("lims/oru_r01.yaml", b"fields:\n", b"  loop: &a [*a]\n"))
def test_damaged_mapping_text_is_refused_with_file_line_and_reason(root: Path, case: tuple[str, bytes]) -> None:
    _check(root, *case)
