"""Real third-party HL7 v2 lab messages (CDC corpus, Apache-2.0): each is translated or refused with a reason."""

import collections
from pathlib import Path

import pytest

from mappings.engine.catalog import load_catalog
from mappings.engine.errors import TranslationError
from mappings.engine.hl7 import parse_hl7
from tests.support.corpora import corpus

pytestmark = pytest.mark.unit
def cdc() -> Path:
    return corpus("cdc-trusted-intermediary/examples")


def test_the_corpus_is_beside_the_checkout() -> None:
    assert len(list(cdc().rglob("*.hl7"))) >= 100, f"expected the CDC corpus at {cdc()}"


def test_every_message_is_translated_or_refused_with_a_reason() -> None:
    catalog = load_catalog()
    outcomes: dict[str, list[bool]] = collections.defaultdict(list)
    for path in sorted(cdc().rglob("*.hl7")):
        raw = path.read_bytes()  # bytes: CR segment separators must survive
        try:
            head = parse_hl7(raw)
            kind = f"{head.message_type} {head.version}"
        except TranslationError:
            kind = "unparseable"
        try:
            translations = catalog.select("lims", raw).translate(raw)
        except TranslationError as exc:
            assert exc.reason, path
            outcomes[kind].append(False)
            continue
        outcomes[kind].append(True)
        assert all(t.message is not None for t in translations)
    oru = outcomes["ORU^R01 2.5.1"]
    assert len(oru) >= 50 and sum(oru) >= 0.9 * len(oru), {k: (sum(v), len(v)) for k, v in outcomes.items()}
    assert all(outcomes["ORU^R01 2.3"])
