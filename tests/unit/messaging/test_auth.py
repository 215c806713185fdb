"""NATS identities: subject matching, credential files, the server's authorization block."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt
import pytest

from messaging.auth import Grant, authorization_block, consume_grant, covers, read_user, write_users


@pytest.mark.parametrize("pattern, subject, expected", [
    ("gxp.evt.lims.>", "gxp.evt.lims.test_result_recorded", True),
    ("gxp.evt.lims.>", "gxp.evt.lims", False),
    ("gxp.evt.lims.>", "gxp.evt.mes.batch_created", False),
    ("gxp.*.lims", "gxp.audit.lims", True),
    ("gxp.*.lims", "gxp.audit.lims.x", False),
    ("gxp.*", "gxp.>", False),  # a one-token wildcard never covers a subscription to everything below
    (">", "anything.at.all", True),
    ("$JS.ACK.S.c.>", "$JS.ACK.S.c.1.2.3.4.5", True),
])
def test_subject_matching_follows_nats(pattern: str, subject: str, expected: bool) -> None:
    assert covers(pattern, subject) is expected


def test_a_consumer_grant_is_cut_to_its_own_filter() -> None:
    grant = consume_grant("GXP_COMMANDS", "adapter_lims_commands", "gxp.cmd.lims.>")
    assert grant.may_publish("$JS.API.CONSUMER.CREATE.GXP_COMMANDS.adapter_lims_commands.gxp.cmd.lims.>")
    assert not grant.may_publish("$JS.API.CONSUMER.CREATE.GXP_COMMANDS.adapter_lims_commands.gxp.cmd.erp.>")
    assert not grant.may_publish("$JS.API.CONSUMER.DURABLE.CREATE.GXP_COMMANDS.adapter_lims_commands")
    assert grant.may_publish("$JS.ACK.GXP_COMMANDS.adapter_lims_commands.1.7.7.1700000000.0")
    assert not grant.may_publish("$JS.ACK.GXP_COMMANDS.adapter_erp_commands.1.7.7.1700000000.0")


def test_credentials_are_written_once_private_and_read_back(tmp_path: Path) -> None:
    first = write_users(tmp_path / "creds", ["adapter-lims", "admin"])
    again = write_users(tmp_path / "creds", ["adapter-lims", "admin"])
    assert first == again and first["admin"].password != first["adapter-lims"].password
    assert (tmp_path / "creds").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "creds" / "adapter-lims.json").stat().st_mode & 0o777 == 0o600
    assert first["admin"].password not in repr(first["admin"])


def test_credentials_others_may_read_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "adapter-lims.json"
    path.write_text(json.dumps({"user": "adapter-lims", "password": "x"}))
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        read_user(path)
    path.chmod(0o600)
    assert read_user(path).user == "adapter-lims"


def test_the_authorization_block_holds_hashes_and_permissions_only(tmp_path: Path) -> None:
    users = write_users(tmp_path, ["admin", "adapter-lims"])
    block = authorization_block(users, {"admin": None, "adapter-lims": Grant(("gxp.evt.lims.>",),
                                                                             ("_INBOX.adapter-lims.>",), True)})
    entries = [json.loads(line.strip().rstrip(",")) for line in block.splitlines() if line.strip().startswith("{")]
    by_user = {e["user"]: e for e in entries}
    assert users["admin"].password not in block and users["adapter-lims"].password not in block
    assert bcrypt.checkpw(users["adapter-lims"].password.encode(), by_user["adapter-lims"]["password"].encode())
    assert "permissions" not in by_user["admin"]
    assert by_user["adapter-lims"]["permissions"] == {"publish": {"allow": ["gxp.evt.lims.>"]},
                                                     "subscribe": {"allow": ["_INBOX.adapter-lims.>"]},
                                                     "allow_responses": True}
