"""DeltaV over OPC UA, read side and endpoints: the ISA-88 tree, live values, history, asyncua's CLI tools, and
anonymous access on SecurityPolicy None next to user name + password over Basic256Sha256 SignAndEncrypt."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from asyncua import Client, ua
from asyncua.crypto import cert_gen
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulators.common.runner import SimulatorSet
from simulators.deltav.server import NAMESPACE_URI

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
BIN = Path(sys.executable).parent
CLIENT_URI = "urn:gxplink:tests:deltav-client"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def deltav(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[dict[str, Any], Path]]:
    data = tmp_path_factory.mktemp("deltav-read")
    sims = SimulatorSet(data, ("deltav",))
    endpoints = await sims.start()
    yield endpoints["sim"], data / "sim" / "deltav"
    await sims.stop()


@pytest.fixture
def url(deltav: tuple[dict[str, Any], Path]) -> str:
    return str(deltav[0]["deltav"])


@pytest.fixture(scope="module")
def client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The client's own application instance certificate, as every secured OPC UA client needs."""
    pki = tmp_path_factory.mktemp("client-pki")
    cert, key = pki / "client_cert.der", pki / "client_key.pem"
    usage = [ExtendedKeyUsageOID.CLIENT_AUTH]
    asyncio.run(cert_gen.setup_self_signed_certificate(key, cert, CLIENT_URI, socket.gethostname(), usage,
                                                       {"organizationName": "tests"}))
    return cert, key




async def run_cli(*args: str, until: str = "", count: int = 1, timeout: float = 30) -> str:
    """Run an asyncua CLI tool; with `until`, stop it once `count` lines contain that text (uasubscribe never ends)."""
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT,
                                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines: list[str] = []

    async def collect() -> None:
        while line := await proc.stdout.readline():  # type: ignore[union-attr]
            lines.append(line.decode())
            if until and sum(until in seen for seen in lines) >= count:
                return

    try:
        await asyncio.wait_for(collect(), timeout)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
    return "".join(lines)


async def test_br101_is_found_breadth_first_with_numeric_values_and_units(url: str) -> None:
    async with Client(url, timeout=10) as client:
        queue, target = [client.nodes.objects], None
        while queue and target is None:
            for ref in await queue.pop(0).get_children_descriptions():
                if "BR-101" in f"{ref.BrowseName.Name} {ref.DisplayName.Text}":
                    target = client.get_node(ref.NodeId)
                    break
                queue.append(client.get_node(ref.NodeId))
        assert target is not None
        assert (await target.read_display_name()).Text == "BR-101 Expansion bioreactor"
        ns = await client.get_namespace_index(NAMESPACE_URI)
        readings = {name: await client.get_node(f"ns={ns};s=BR-101/{tag}/PV").read_value()
                    for name, tag in (("Temperature", "TIC-101"), ("pH", "AIC-102"), ("DO", "AIC-103"))}
        assert 36.0 < readings["Temperature"] < 38.0 and 6.9 < readings["pH"] < 7.5 and 25 < readings["DO"] < 65
        pv = client.get_node(f"ns={ns};s=BR-101/TIC-101/PV")
        assert await pv.read_data_type_as_variant_type() == ua.VariantType.Double
        eu = await (await pv.get_child("0:EngineeringUnits")).read_value()
        assert (eu.UnitId, eu.DisplayName.Text) == (4408652, "°C")  # UN/CEFACT "CEL"
        sp_range = await client.get_node(f"ns={ns};s=BR-101/TIC-101/SP/EURange").read_value()
        assert (sp_range.Low, sp_range.High) == (36.5, 37.5)


async def test_a_200ms_subscription_sees_process_values_move(url: str) -> None:
    changes: list[float] = []

    class Handler:
        def datachange_notification(self, node: Any, val: float, data: Any) -> None:
            changes.append(val)

    async with Client(url, timeout=10) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        sub = await client.create_subscription(200, Handler())
        await sub.subscribe_data_change(client.get_node(f"ns={ns};s=BR-101/AIC-103/PV"))
        for _ in range(50):
            if len(set(changes)) >= 3:
                break
            await asyncio.sleep(0.1)
    assert len(set(changes)) >= 3, changes


async def test_history_read_returns_the_scanned_values(url: str) -> None:
    async with Client(url, timeout=10) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        pv = client.get_node(f"ns={ns};s=CW-101/FI-202/PV")
        assert await pv.read_attribute(ua.AttributeIds.Historizing) is not None
        history: list[ua.DataValue] = []
        for _ in range(40):
            history = await pv.read_raw_history(numvalues=100)
            if len(history) >= 3:
                break
            await asyncio.sleep(0.25)
    assert len(history) >= 3
    assert all(isinstance(dv.Value.Value, float) and dv.SourceTimestamp for dv in history)


async def test_uals_lists_the_units_of_the_process_cell(url: str) -> None:
    out = await run_cli(str(BIN / "uals"), "-u", url, "-n", "ns=2;s=CP-1", "-l")
    for unit in ("SEL-101", "BR-101", "CW-101", "FF-101", "CRF-101"):
        assert unit in out, out


async def test_uaread_reads_a_process_value(url: str) -> None:
    out = await run_cli(str(BIN / "uaread"), "-u", url, "-n", "ns=2;s=BR-101/AIC-102/PV")
    assert 6.9 < float(out.strip().splitlines()[-1]) < 7.5, out


async def test_uasubscribe_prints_live_changes(url: str) -> None:
    out = await run_cli(str(BIN / "uasubscribe"), "-u", url, "-n", "ns=2;s=BR-101/TIC-101/PV",
                        until="DataChangeEvent", count=3)
    values = {line.split("value=")[1].split(",")[0] for line in out.splitlines() if "DataChangeEvent" in line}
    assert len(values) >= 2, out


async def secure_client(url: str, cert: tuple[Path, Path], user: str | None, password: str | None) -> Client:
    client = Client(url, timeout=10)
    client.application_uri = CLIENT_URI
    if user:
        client.set_user(user)
        client.set_password(password or "")
    await client.set_security(SecurityPolicyBasic256Sha256, str(cert[0]), str(cert[1]),
                              mode=ua.MessageSecurityMode.SignAndEncrypt)
    return client


async def test_endpoints_pair_anonymous_with_none_and_user_names_with_encryption(
        deltav: tuple[dict[str, Any], Path]) -> None:
    endpoints = await Client(deltav[0]["deltav"], timeout=10).connect_and_get_server_endpoints()
    offered = {(e.SecurityPolicyUri.rsplit("#", 1)[1], e.SecurityMode.name,
                tuple(t.TokenType.name for t in e.UserIdentityTokens)) for e in endpoints}
    assert offered == {("None", "None_", ("Anonymous",)), ("Basic256Sha256", "SignAndEncrypt", ("UserName",))}
    assert all(e.EndpointUrl == deltav[0]["deltav"] for e in endpoints)


async def test_user_name_over_basic256sha256_connects_and_acts_as_that_user(
        deltav: tuple[dict[str, Any], Path], client_cert: tuple[Path, Path]) -> None:
    sim, _ = deltav
    auth = sim["deltav_auth"]
    client = await secure_client(sim["deltav"], client_cert, auth["username"], auth["password"])
    async with client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        await client.get_node(f"ns={ns};s=BR-101/AIC-103/SP").write_value(ua.Variant(45.0, ua.VariantType.Double))
        entries = await client.get_node(f"ns={ns};s=AuditTrail").call_method(
            ua.NodeId("AuditTrail/GetEntries", ns), ua.Variant(0, ua.VariantType.UInt32),
            ua.Variant(0, ua.VariantType.UInt32))
    written = [json.loads(e) for e in entries if "BR-101/AIC-103/SP" in e]
    assert [(e["user"], e["old"], e["new"]) for e in written] == [(auth["username"], 40.0, 45.0)]


async def test_a_wrong_password_is_refused_and_journalled(deltav: tuple[dict[str, Any], Path],
                                                          client_cert: tuple[Path, Path]) -> None:
    sim, data_dir = deltav
    client = await secure_client(sim["deltav"], client_cert, sim["deltav_auth"]["username"], "not-the-password")
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        await client.connect()
    await client.disconnect()
    audit = [json.loads(line) for line in (data_dir / "audit.jsonl").read_text().splitlines()]
    assert any(e["action"] == "login_failed" and e["user"] == sim["deltav_auth"]["username"] for e in audit)


async def test_anonymous_needs_the_unsecured_endpoint_and_passwords_the_encrypted_one(
        deltav: tuple[dict[str, Any], Path], client_cert: tuple[Path, Path]) -> None:
    sim, _ = deltav
    anonymous = await secure_client(sim["deltav"], client_cert, None, None)
    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
        await anonymous.connect()
    await anonymous.disconnect()
    plain = Client(sim["deltav"], timeout=10)
    plain.set_user(sim["deltav_auth"]["username"])
    plain.set_password(sim["deltav_auth"]["password"])
    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
        await plain.connect()
    await plain.disconnect()


async def test_uaread_reads_over_the_secure_endpoint(deltav: tuple[dict[str, Any], Path],
                                                    client_cert: tuple[Path, Path]) -> None:
    sim, _ = deltav
    security = f"Basic256Sha256,SignAndEncrypt,{client_cert[0]},{client_cert[1]}"
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "uaread"), "-u", sim["deltav"], "-n", "ns=2;s=BR-101/Phase/CurrentState",
        "--security", security, "--user", sim["deltav_auth"]["username"], "--password",
        sim["deltav_auth"]["password"], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and out.decode().strip().splitlines()[-1] == "IDLE", err.decode()


async def test_credentials_and_key_are_generated_private(deltav: tuple[dict[str, Any], Path]) -> None:
    sim, data_dir = deltav
    users = json.loads((data_dir / "users.json").read_text())
    assert users["users"][sim["deltav_auth"]["username"]] == sim["deltav_auth"]["password"]
    for path in (data_dir / "users.json", data_dir / "pki" / "server_key.pem"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
