"""How the console behaves; plain values, filled by the composition root from GXPLINK_CONSOLE_* settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ConsoleConfig:
    keys_dir: Path  # the audit writer's keys: the console verifies checkpoints with the public key
    health_urls: tuple[str, ...] = ()  # /health endpoints of the components to show
    idle_minutes: float = 15.0  # automatic log-off after inactivity (Annex 11 §12, Part 11 §11.300)
    session_hours: float = 8.0  # a session ends after this however active it is
    max_failures: int = 5  # consecutive wrong passwords before the account is locked
    lockout_minutes: float = 15.0
    secure_cookies: bool = False  # set Secure on cookies (behind TLS)
    signing_roles: tuple[str, ...] = field(default=("qa",))
