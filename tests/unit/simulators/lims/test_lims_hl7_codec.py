"""HL7 escape sequences and the tolerant reader of the LIMS simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.lims.escape import decode, encode
from simulators.lims.hl7v2 import parse
from tests.support.corpora import corpus

pytestmark = pytest.mark.unit

def cdc() -> Path:
    return corpus("cdc-trusted-intermediary/examples")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")))
def test_encode_then_decode_gives_the_text_back(text: str) -> None:
    encoded = encode(text)
    assert not set(encoded) & set("|^~&\n") and decode(encoded) == text


def test_every_standard_sequence_decodes() -> None:
    assert decode(r"a\F\b\S\c\T\d\R\e\E\f\.br\g\X414243\ \H\bold\N\ \Z99\ ") == "a|b^c&d~e\\f\ngABC bold \\Z99\\ "
    assert encode("pH 7.2 | 37 °C ^ C:\\tmp & x ~ y\r\nnext") == r"pH 7.2 \F\ 37 °C \S\ C:\E\tmp \T\ x \R\ y\.br\next"


def test_fields_are_numbered_as_in_the_standard_even_with_odd_delimiters() -> None:
    msg = parse("MSH|^~\\&|MES^1.2^ISO|CAM|LIMS|CAM|20250101||OML^O21^OML_O21|C1|P|2.5.1\nOBR|1||x|A~B^b^LN\r")
    head = msg.msh
    assert head is not None and (head.get(1), head.get(2), head.get(10), head.get(9, 2)) == ("|", "^~\\&", "C1", "O21")
    obr = msg.first("OBR")
    assert obr is not None and (obr.get(4), obr.get(4, 3, repetition=2), obr.get(40)) == ("A", "LN", "")
    odd = parse("MSH#*!/$#MES#CAM#LIMS#CAM#2025##OML*O21#C2#P#2.5.1\r")
    assert odd.msh is not None and (odd.msh.get(10), odd.msh.get(9, 2), odd.declared) == ("C2", "O21", "*!/$")


def test_the_reader_splits_every_cdc_message_without_raising() -> None:
    files = sorted(cdc().rglob("*.hl7"))
    heads = [parse(path.read_bytes().decode("utf-8", errors="replace")).msh for path in files]
    readable = [h for h in heads if h is not None and h.get(9, 1) in ("ORU", "OML", "ORM", "ACK", "ADT")]
    assert len(files) > 100 and len(readable) >= 0.9 * len(files)
