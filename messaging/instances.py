"""Two gxplink deployments on one machine (or two sites) linked for tech transfer by a NATS leaf node.

Each instance keeps its own account for all of its subjects, and a link account bound to the leaf
connection that shares exactly two subject trees with it: the sponsor's `gxp.transfer.sponsor.>`
flows to the CDMO, the CDMO's `gxp.transfer.cdmo.>` flows back. Nothing else of either deployment
(events, commands, audit, dead letters, inboxes) crosses, whatever anyone publishes. The same
layout as deploy/leafnode/, generated for the embedded servers.

Local clients connect without credentials (`no_auth_user`) into the instance's own account; only
the leaf connection authenticates, with a password the sponsor generates and hands to the CDMO in
the link file (`<sponsor data dir>/transfer/link.json`, mode 0600), along with the leaf address.
"""

from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from canonical_model import subjects
from messaging.private_files import refuse_exposed, write_private

Instance = Literal["sponsor", "cdmo"]
LINK_USER = "cdmo"
LINK_FILE = "link.json"


@dataclass(frozen=True)
class Link:
    """What the CDMO needs to reach the sponsor: the leaf address and the link's password."""

    host: str
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"nats-leaf://{LINK_USER}:{self.password}@{self.host}:{self.port}"

    def to_json(self) -> str:
        return json.dumps({"host": self.host, "port": self.port, "password": self.password})

    @classmethod
    def read(cls, path: Path) -> Link:
        refuse_exposed(path)
        try:
            doc = json.loads(path.read_text())
            return cls(str(doc["host"]), int(doc["port"]), str(doc["password"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a gxplink transfer link file: {exc}") from None


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def sponsor_link(data_dir: Path, host: str = "127.0.0.1") -> tuple[Link, Path]:
    """The sponsor's link (created once, then kept: its port and password survive restarts)."""
    path = Path(data_dir).resolve() / "transfer" / LINK_FILE
    if path.exists():
        return Link.read(path), path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # a password nats-server reads as a string whatever it is: letters and digits, starting with a letter
    link = Link(host, _free_port(host), "l" + secrets.token_hex(24))
    write_private(path, link.to_json().encode())
    return link, path


def _local_account(name: str, exports: str, imports_from: str, imports: str) -> str:
    password = "u" + secrets.token_hex(16)  # never used: local clients come in as no_auth_user
    return (f"  {name}: {{\n    jetstream: enabled\n    users: [{{user: gxplink, password: \"{password}\"}}]\n"
            f"    exports: [{{stream: \"{exports}\"}}]\n"
            f"    imports: [{{stream: {{account: {imports_from}, subject: \"{imports}\"}}}}]\n  }}\n")


def _link_account(name: str, exports: str, imports_from: str, imports: str) -> str:
    return (f"  {name}: {{\n    exports: [{{stream: \"{exports}\"}}]\n"
            f"    imports: [{{stream: {{account: {imports_from}, subject: \"{imports}\"}}}}]\n  }}\n")


def sponsor_config(link: Link) -> str:
    """nats-server config for the sponsor: hub of the link, listening for the CDMO's leaf connection."""
    return ("accounts {\n"
            + _local_account("SPONSOR", subjects.SPONSOR_TO_CDMO, "TRANSFER", subjects.CDMO_TO_SPONSOR)
            + _link_account("TRANSFER", subjects.CDMO_TO_SPONSOR, "SPONSOR", subjects.SPONSOR_TO_CDMO)
            + "}\nno_auth_user: gxplink\n"
            f"leafnodes {{\n  host: {json.dumps(link.host)}\n  port: {link.port}\n"
            f"  authorization {{ user: {LINK_USER}, password: \"{link.password}\", account: TRANSFER }}\n}}\n")


def cdmo_config(link: Link) -> str:
    """nats-server config for the CDMO: a leaf node of the sponsor's server, bound to its LINK account."""
    return ("accounts {\n"
            + _local_account("CDMO", subjects.CDMO_TO_SPONSOR, "LINK", subjects.SPONSOR_TO_CDMO)
            + _link_account("LINK", subjects.SPONSOR_TO_CDMO, "CDMO", subjects.CDMO_TO_SPONSOR)
            + "}\nno_auth_user: gxplink\n"
            f"leafnodes {{\n  remotes: [{{url: \"{link.url}\", account: LINK}}]\n  reconnect: 2\n}}\n")


def instance_config(instance: Instance, data_dir: Path, link_file: Path | None) -> str:
    """The extra server config of one instance; the CDMO needs the sponsor's link file."""
    if instance == "sponsor":
        return sponsor_config(sponsor_link(data_dir)[0])
    if link_file is None:
        raise ValueError("a CDMO instance needs the sponsor's link file: --link <sponsor data dir>/transfer/link.json")
    return cdmo_config(Link.read(link_file))
