"""Tech transfer, pure part: process-definition packages, the content library, diff and site maps.

No network and no clock: the sponsor composes a process from the bundled library (`library`),
builds and seals a package (`package`: content hash, approver e-signature, Ed25519 instance seal);
the CDMO verifies it with the sponsor's public key (`verify`), diffs it against the previous version
(`diff`, after unit conversion by `units`) and maps codes to its own (`site_map`). Every refusal is
a `Problem` naming the field and the reason. The NATS link, CLI and provisioning build on this.
"""

from __future__ import annotations

from orchestrator.transfer.diff import diff_definitions
from orchestrator.transfer.diff_report import Change, DiffReport
from orchestrator.transfer.library import (
    compose_process,
    list_library,
    load_site_map,
    read_library,
    validate_library,
)
from orchestrator.transfer.package import (
    TransferPackage,
    build_package,
    content_hash,
    from_bytes,
    load_public_key,
    public_key_pem,
    seal,
    to_bytes,
)
from orchestrator.transfer.problems import Problem, ProblemsError
from orchestrator.transfer.site_map import SiteMap, apply_site_map, mapping_problems
from orchestrator.transfer.verify import verify

__all__ = [
    "Change", "DiffReport", "Problem", "ProblemsError", "SiteMap", "TransferPackage", "apply_site_map",
    "build_package", "compose_process", "content_hash", "diff_definitions", "from_bytes", "list_library",
    "load_public_key", "load_site_map", "mapping_problems", "public_key_pem", "read_library", "seal", "to_bytes",
    "validate_library", "verify",
]
