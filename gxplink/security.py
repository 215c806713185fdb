"""`--secure`: one NATS identity per component, cut to its own subjects, over TLS.

The grants are derived from the same subject functions and consumer specs the components use, so
they cannot drift apart:

- `adapter-<system>` publishes only its system's events, native audit entries and dead letters,
  reads only its own command consumer (filtered to `gxp.cmd.<system>.>`) and answers replay requests;
- `audit-writer` reads every stream through its own consumers and publishes only its dead letters;
- `orchestrator` reads events through its inbox consumer and publishes commands and gxplink's events;
- `auditor` reads (core subscriptions and stored messages) and can publish nothing that changes state;
- `console` watches events and commands, reads stored dead letters, records its own actions on
  `gxp.audit.console`, publishes the signatures it captures and asks adapters to replay;
- `admin` is the operator: the `gxplink` process that manages streams and runs CLI tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adapters.framework.commands import command_consumer
from canonical_model import subjects
from canonical_model.events.gxplink import DataIntegrityIssueDetected, SignatureRecorded
from messaging.auth import (
    READ_ONLY_JETSTREAM,
    Grant,
    NatsUser,
    authorization_block,
    consume_grant,
    creds_path,
    inbox_prefix,
    read_user,
    write_users,
)
from messaging.consumer import ConsumerSpec
from messaging.tls import TlsFiles, local_ca
from orchestrator.audit.writer import FEEDS, consumer_spec
from orchestrator.engine.worker import INBOX

ADMIN, AUDITOR, AUDIT_WRITER, ORCHESTRATOR, CONSOLE = "admin", "auditor", "audit-writer", "orchestrator", "console"
SYSTEMS = ("deltav", "lims", "qms", "mes", "erp")


def adapter_identity(system: str) -> str:
    return f"adapter-{system}"


def _own(user: str) -> Grant:
    """Every identity reads the replies addressed to it, and only those."""
    return Grant(subscribe=(f"{inbox_prefix(user)}.>",))


def _consume(spec: ConsumerSpec) -> Grant:
    return consume_grant(spec.stream, spec.durable, spec.filter_subject)


def adapter_grant(system: str) -> Grant:
    talks = Grant(publish=(subjects.events_from(system), subjects.audit_subject(system),
                           subjects.dead_letter_subject(system)),
                  subscribe=(subjects.replay_subject(system),), allow_responses=True)
    return talks.merged(_consume(command_consumer(system))).merged(_own(adapter_identity(system)))


def audit_writer_grant() -> Grant:
    grant = Grant(publish=(subjects.dead_letter_subject("audit"),
                           subjects.event_subject("gxplink", DataIntegrityIssueDetected.NAME)))
    for name, stream, subject, _ in FEEDS:
        grant = grant.merged(_consume(consumer_spec(name, stream, subject)))
        grant = grant.merged(Grant(publish=(f"$JS.API.STREAM.INFO.{stream}",)))
    return grant.merged(_own(AUDIT_WRITER))


def orchestrator_grant() -> Grant:
    talks = Grant(publish=(subjects.ALL_COMMANDS, subjects.events_from("gxplink"), subjects.audit_subject("gxplink"),
                           subjects.dead_letter_subject("orchestrator")))
    return talks.merged(_consume(INBOX)).merged(_own(ORCHESTRATOR))


def auditor_grant() -> Grant:
    return Grant(subscribe=(f"{subjects.ROOT}.>",)).merged(READ_ONLY_JETSTREAM).merged(_own(AUDITOR))


def console_grant() -> Grant:
    talks = Grant(publish=(subjects.audit_subject("console"), subjects.event_subject("gxplink", SignatureRecorded.NAME),
                           f"{subjects.ROOT}.replay.*"),
                  subscribe=(subjects.ALL_EVENTS, subjects.ALL_COMMANDS))
    return talks.merged(READ_ONLY_JETSTREAM).merged(_own(CONSOLE))


def grants() -> dict[str, Grant | None]:
    """Every identity and what it may do (None: the operator, unrestricted)."""
    table: dict[str, Grant | None] = {ADMIN: None, AUDITOR: auditor_grant(), AUDIT_WRITER: audit_writer_grant(),
                                      ORCHESTRATOR: orchestrator_grant(), CONSOLE: console_grant()}
    table.update({adapter_identity(system): adapter_grant(system) for system in SYSTEMS})
    return table


@dataclass(frozen=True)
class SecureSetup:
    """Credentials under `<data-dir>/creds`, TLS material under `<data-dir>/tls`."""

    creds_dir: Path
    tls: TlsFiles

    @classmethod
    def under(cls, data_dir: Path) -> SecureSetup:
        root = Path(data_dir).resolve()
        return cls(root / "creds", TlsFiles.under(root / "tls"))

    @property
    def initialised(self) -> bool:
        return creds_path(self.creds_dir, ADMIN).exists()

    def prepare(self) -> str:
        """Create what is missing (credentials, local CA) and return the server's auth and TLS config."""
        table = grants()
        users = write_users(self.creds_dir, table)
        tls = local_ca(self.tls.ca.parent)
        return authorization_block(users, table) + tls.loopback_server_block()

    def identity(self, name: str) -> NatsUser:
        return read_user(creds_path(self.creds_dir, name))
