import pytest

from mappings.engine.errors import TranslationError
from mappings.engine.hl7 import Delimiters, parse_hl7
from mappings.engine.hl7_paths import Hl7Cursor, compile_hl7_path

pytestmark = pytest.mark.unit

ORU = (
    "MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20261122101500+0000||ORU^R01^ORU_R01|M1|P|2.5.1\r"
    "PID|1||P1~P2^^^MR||Doe^Jane\r"
    "OBR|1|PO1|F1|PANEL\r"
    "OBX|1|NM|VIAB^Viability^L||91.2|%||N|||F\r"
    "NTE|1||first \\T\\ second\\.br\\line\r"
    "NTE|2||more\r"
    "OBX|2|ST|STER||No growth||||||F\r"
    "SPM|1|S1|B1\r"
    "OBR|2|PO2|F2|SINGLE\r"
    "OBX|1|NM|VCN||1.8|{copies}/{cell}|||||F\r"
    "SPM|1|S2|B1\r"
)


def cursor(segment: str, occurrence: int = 1) -> Hl7Cursor:
    message = parse_hl7(ORU.encode())
    return Hl7Cursor(message, message.indices(segment)[occurrence - 1])


def test_header_facts_and_delimiters() -> None:
    message = parse_hl7(ORU.encode())
    assert (message.message_type, message.version, message.control_id) == ("ORU^R01", "2.5.1", "M1")
    assert message.delimiters == Delimiters("|", "^", "~", "\\", "&")
    assert compile_hl7_path("MSH-1")(Hl7Cursor(message)) == "|"
    assert compile_hl7_path("MSH-2")(Hl7Cursor(message)) == "^~\\&"


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_any_line_ending_and_mllp_framing(ending: str) -> None:
    raw = ("\x0b" + ORU.replace("\r", ending) + "\x1c\r").encode()
    assert len(parse_hl7(raw).segments) == 11


@pytest.mark.parametrize(
    ("path", "at", "expected"),
    [
        ("OBX-5", ("OBX", 1), "91.2"),
        ("OBX-3.2", ("OBX", 1), "Viability"),
        ("OBR-3", ("OBX", 3), "F2"),  # the nearest preceding OBR: this result's order group
        ("PID-3(2).1", ("OBX", 1), "P2"),
        ("PID-3(*).1", ("OBX", 1), ["P1", "P2"]),
        ("OBR[2]-4", ("OBX", 1), "SINGLE"),
        ("+NTE-3", ("OBX", 1), ["first & second\nline", "more"]),
        ("+NTE-3", ("OBX", 2), []),
        (">SPM-2", ("OBX", 1), "S1"),
        (">SPM-2", ("OBX", 3), "S2"),
        ("*OBX-3.1", ("OBX", 1), ["VIAB", "STER", "VCN"]),
        ("OBX-99", ("OBX", 1), None),
        ("ZZZ-1", ("OBX", 1), None),
    ],
)
def test_paths(path: str, at: tuple[str, int], expected: object) -> None:
    assert compile_hl7_path(path)(cursor(*at)) == expected


@pytest.mark.parametrize("bad", ["OBX", "OBX-0", "obx-1", "OBX-1.a", "OBX-1..2", "/data/x"])
def test_invalid_paths_are_refused(bad: str) -> None:
    if bad == "OBX":  # a bare segment name is a presence test
        assert compile_hl7_path(bad)(cursor("OBX")) == "present"
        return
    with pytest.raises(ValueError):
        compile_hl7_path(bad)


@pytest.mark.requirement("P11-010")
@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b"", "MSH"),
        (b"NOT HL7\r", "MSH"),
        (b"MSH|", "MSH-2"),
        (b"MSH|^|x", "MSH-2"),
        (b"MSH|^~\\&|A\rbad segment|x", "segment 2"),
        (b"MSH|^~\\&|A\rMSH|^~\\&|B", "segment 2"),
    ],
)
def test_what_is_not_hl7_is_refused_with_where(raw: bytes, where: str) -> None:
    with pytest.raises(TranslationError) as info:
        parse_hl7(raw)
    assert info.value.path == where


def test_a_batch_file_with_one_message_is_that_message() -> None:
    raw = ("FHS|^~\\&|A\rBHS|^~\\&|A\r" + ORU + "BTS|1\rFTS|1\r").encode()
    assert parse_hl7(raw).control_id == "M1"


def test_escapes_round_trip() -> None:
    d = Delimiters()
    text = "a|b^c&d~e\\f\nline"
    assert d.decode(d.encode(text)) == text
    assert d.decode("\\X41\\\\H\\bold\\N\\") == "Abold"
