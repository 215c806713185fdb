"""MFN^M08 / MFN^M09 over a real MLLP socket with an independent client (python-hl7): answered MFK, audited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.simulators.test_lims_inbound import send

pytestmark = pytest.mark.integration
MFN = "\r".join([
    "MSH|^~\\&|MDM|CAM|LIMS|CAM|20261123090000+0000||MFN^M08^MFN_M08|{control}|P|2.5.1",
    "MFI|OMA^Numerical observation master^HL70175||UPD|||AL",
    "MFE|MAD|CC-12/1||SPEC-CART19-REL~3~ENDO^ENDO^L|ST~NM~CE",
    "OM1|1|ENDO^ENDO^L|NM|Y|CAM-QC|||ENDO||||||TM-ENDO^Endotoxin by LAL^L||||A",
    "OM2|1|[EU]/mL^^UCUM||||&{high}"]) + "\r"


async def test_a_master_file_is_posted_then_a_changed_one_refused(start_sim: Any) -> None:
    sim, _ = await start_sim("lims")
    posted = await send(sim.port, MFN.format(control="MF-1", high="4"))
    assert str(posted.segment("MSH")[9]) == "MFK^M08^MFK_M01"
    assert str(posted.segment("MSA")[1]) == "AA" and str(posted.segment("MSA")[2]) == "MF-1"
    mfa = posted.segment("MFA")
    assert str(mfa[2]) == "CC-12/1" and str(mfa[4]).startswith("S^")
    assert sim.store.catalog["tests"]["ENDO"]["hi"] == 4.0
    refused = await send(sim.port, MFN.format(control="MF-2", high="3"))
    assert str(refused.segment("MSA")[1]) == "AE" and str(refused.segment("ERR")[3]).startswith("205")
    assert str(refused.segment("MFA")[4]).startswith("U^")
    assert sim.store.catalog["tests"]["ENDO"]["hi"] == 4.0
    entries = [e for e in sim.ctx.audit.entries if e.user == "interface:MDM"]
    assert ("update", "test", "ENDO", "hi", 5.0, 4.0) in {(e.action, e.record_type, e.record_id, e.field, e.old, e.new)
                                                            for e in entries}
