"""ProvisionSpecifications as MFN^M08/M09: the segments, their validation with hl7apy, sending and the MFK read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from adapters.lims.acks import read_ack, refusals
from adapters.lims.commands import command_handlers
from adapters.lims.fake import FakeLimsSender
from adapters.lims.master_files import master_files
from canonical_model.commands.lims import ProvisionSpecifications
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog, load_catalog
from messaging.errors import PermanentError, RetryableError

pytestmark = pytest.mark.unit
SPEC = {"spec_id": "SPEC-X19-REL", "product": "X19", "version": 3, "limits": [
    {"analyte": "VIABILITY", "low": 70.0, "unit": "%"},
    {"analyte": "VCC", "low": 0.5, "high": 5.0, "unit": "10*6/mL"},
    {"analyte": "STER", "text_criterion": "No growth"},
    {"analyte": "ENDO", "high": 5.0, "unit": "[EU]/mL", "text_criterion": "Clear^solution"}]}
METHODS = [{"method_id": "TM-VIAB", "name": "Viability | 7-AAD", "version": 2, "analytes": ["VIABILITY"]},
           {"method_id": "TM-COUNT", "name": "Cell count", "version": 3, "analytes": ["VCC", "TNC"]}]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def command(**changes: Any) -> Envelope[ProvisionSpecifications]:
    data = {"transfer_id": "TT-5", "specifications": [SPEC], "analytical_methods": METHODS, **changes}
    return Envelope.wrap(ProvisionSpecifications.model_validate(data), source="/test", actor="service:test",
                         sourcesystem="gxplink", time=datetime(2026, 11, 23, 9, tzinfo=UTC))


def lines(message: bytes) -> list[str]:
    return message.decode().rstrip("\r").split("\r")


def test_one_method_per_analyte_and_one_spec_version_once() -> None:
    with pytest.raises(ValueError, match="'VCC' is reported by TM-COUNT and TM-2"):
        command(analytical_methods=[*METHODS, {"method_id": "TM-2", "name": "n", "version": 1, "analytes": ["VCC"]}])
    with pytest.raises(ValueError, match="a spec id and version may appear once"):
        command(specifications=[SPEC, SPEC])


def test_numeric_limits_go_in_an_m08_and_text_only_ones_in_an_m09(catalog: Catalog) -> None:
    m08, m09 = master_files(command(), catalog.tables["lims_order_codes"])
    assert (m08.trigger, m09.trigger) == ("M08", "M09") and m08.control_id != m09.control_id
    assert lines(m08.message)[:2] == [
        "MSH|^~\\&|GXPLINK|CAM|LIMS|CAM-QC|20261123090000+0000||MFN^M08^MFN_M08|" + m08.control_id + "|P|2.5.1",
        "MFI|OMA^Numerical observation master^HL70175||UPD|||AL"]
    viab = lines(m08.message)[2:5]
    assert viab[0] == "MFE|MAD|TT-5/1||SPEC-X19-REL~3~VIAB^VIAB^L|ST~NM~CE"
    assert viab[1].startswith("OM1|1|VIAB^VIAB^L|NM|Y|CAM-QC^Quality control laboratory^L|||VIAB|")
    assert "|TM-VIAB^Viability \\F\\ 7-AAD^L|" in viab[1] and viab[1].endswith("|Viability \\F\\ 7-AAD, version 2")
    assert viab[2] == "OM2|1|%^^UCUM||||70&"
    assert "OM2|2|10*6/mL^^UCUM||||0.5&5" in lines(m08.message)
    endo = lines(m08.message)[lines(m08.message).index("MFE|MAD|TT-5/3||SPEC-X19-REL~3~ENDO^ENDO^L|ST~NM~CE"):]
    assert endo[2:4] == ["OM2|3|[EU]/mL^^UCUM||||&5", "OM3|3|||^Clear\\S\\solution|||ST"]
    assert endo[4] == "MFE|MAD|TT-5/4||TNC^TNC^L|CE" and endo[5].startswith("OM1|4|TNC^TNC^L||Y|")
    assert m08.changes == ("TT-5/1", "TT-5/2", "TT-5/3", "TT-5/4")
    assert lines(m09.message)[1:] == [
        "MFI|OMB^Categorical observation master^HL70175||UPD|||AL",
        "MFE|MAD|TT-5/5||SPEC-X19-REL~3~STER^STER^L|ST~NM~CE",
        "OM1|1|STER^STER^L|ST|Y|CAM-QC^Quality control laboratory^L|||STER||||||||||A",
        "OM3|1|||^No growth|||ST"]


def test_the_messages_are_valid_hl7_to_hl7apy(catalog: Catalog) -> None:
    for file in master_files(command(), catalog.tables["lims_order_codes"]):
        parsed = parse_message(file.message.decode(), validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        parsed.validate()
        assert parsed.msh.msh_9.to_er7() == f"MFN^{file.trigger}^MFN_{file.trigger}"


def test_only_the_message_a_command_needs_is_sent(catalog: Catalog) -> None:
    numeric = {**SPEC, "limits": [{"analyte": "VIABILITY", "low": 70.0, "unit": "%"}]}
    (only,) = master_files(command(specifications=[numeric], analytical_methods=[]), None)
    assert only.trigger == "M08" and b"VIABILITY^VIABILITY^L" in only.message  # without the code table: as given


async def test_the_lims_posts_both_and_the_reply_names_the_messages(catalog: Catalog) -> None:
    lims = FakeLimsSender()
    outcome = await command_handlers(catalog, lims)[ProvisionSpecifications.ce_type()](command())
    assert [m.split(b"|")[8] for m in lims.received] == [b"MFN^M08^MFN_M08", b"MFN^M09^MFN_M09"]
    assert len(lims.master_records) == 5
    assert outcome.detail == "LIMS posted 5 master file records (MFN^M08, MFN^M09)"
    assert outcome.references["transfer_id"] == "TT-5" and len(outcome.references["hl7_control_ids"].split(",")) == 2


async def test_a_refused_record_is_permanent_and_named(catalog: Catalog) -> None:
    lims = FakeLimsSender()
    unknown = {**SPEC, "limits": [{"analyte": "KARYO", "text_criterion": "Normal"}]}
    with pytest.raises(PermanentError, match="LIMS refused MFN\\^M09 \\(AE 204\\): TT-5/1: unknown test KARYO"):
        await command_handlers(catalog, lims)[ProvisionSpecifications.ce_type()](
            command(specifications=[unknown], analytical_methods=[]))
    assert lims.master_records == []


class BusyLims(FakeLimsSender):
    async def send(self, message: bytes) -> bytes:
        return (b"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20260101000000+0000||MFK^M08^MFK_M01|X|P|2.5.1\r"
                b"MSA|AE|" + message.split(b"|")[9] + b"\rERR||MSH^1^9|207^Application internal error^HL70357|E"
                b"||||simulated fault\r")


async def test_an_application_error_is_retryable_and_an_absent_lims_permanent(catalog: Catalog) -> None:
    with pytest.raises(RetryableError, match="simulated fault"):
        await command_handlers(catalog, BusyLims())[ProvisionSpecifications.ce_type()](command())
    with pytest.raises(PermanentError, match="GXPLINK_LIMS_LIMS_URL"):
        await command_handlers(catalog, None)[ProvisionSpecifications.ce_type()](command())


def test_an_mfk_is_read_for_why_it_refuses() -> None:
    head = b"MSH|^~\\&|LIMS|CAM|GXPLINK|CAM|20260101000000+0000||MFK^M08^MFK_M01|X|P|2.5.1\rMSA|AE|C1|refused\r"
    records = (b"MFI|OMA||UPD|||AL\rMFA|MAD|TT-1/1||U^not posted^HL70181|S~1~VIAB^VIAB^L|ST~NM~CE\r"
               b"MFA|MAD|TT-1/2||U^other limits \\T\\ more^HL70181|S~1~CD3^CD3^L|ST~NM~CE\r")
    errors = (b"ERR||MFE^2^4|205^Duplicate key identifier^HL70357|E||||TT-1/2: other limits\r"
              b"ERR||MFE^3^4|204^Unknown key identifier^HL70357|E||||TT-1/3: unknown test\r")
    assert read_ack(head + errors + records).error_code == "205"
    assert refusals(head + errors + records) == ["TT-1/2: other limits", "TT-1/3: unknown test"]
    assert refusals(head + records) == ["TT-1/1: not posted", "TT-1/2: other limits & more"]
