"""Signing a validation report: an electronic signature bound to the report's sha256 (21 CFR 11.70).

The signer re-authenticates against gxplink's users (the same identities that sign batch records);
the signature, with its manifestation (printed name, date and time, meaning), is written beside the
report, and `verify` fails if a single byte of the report changed since.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from canonical_model.ids import deterministic_id
from canonical_model.signature import ElectronicSignature

MEANINGS = ("reviewed", "approved")


def report_hash(report: Path) -> str:
    return hashlib.sha256(report.read_bytes()).hexdigest()


def signature_path(report: Path) -> Path:
    return Path(f"{report}.signature.json")


def sign(report: Path, user: dict[str, str], meaning: str, reason: str | None) -> ElectronicSignature:
    if meaning not in MEANINGS:
        raise ValueError(f"meaning {meaning!r}: choose {', '.join(MEANINGS)}")
    digest = report_hash(report)
    signature = ElectronicSignature(
        signature_id=deterministic_id("validation-report", digest, user["user_id"], meaning),
        signer_id=user["user_id"], signer_name=user["name"], meaning=meaning, signed_at=datetime.now(UTC),
        record_type="validation_report", record_id=report.name, record_hash=digest, reason=reason)
    path = signature_path(report)
    existing = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*existing, signature.model_dump(mode="json")], indent=2))
    return signature


def verify(report: Path) -> tuple[bool, list[str]]:
    """(intact, lines to show): the report's hash against its .sha256 and every signature on it."""
    digest, lines, ok = report_hash(report), [], True
    recorded = Path(f"{report}.sha256")
    if recorded.exists():
        same = recorded.read_text().split()[0] == digest
        ok &= same
        lines.append(f"sha256 {digest} {'matches' if same else 'DOES NOT MATCH'} {recorded.name}")
    path = signature_path(report)
    signatures = [ElectronicSignature.model_validate(s) for s in json.loads(path.read_text())] if path.exists() else []
    for s in signatures:
        bound = s.record_hash == digest
        ok &= bound
        why = f": {s.reason}" if s.reason else ""
        lines.append(f"{'signed' if bound else 'signature NOT for this content'}: {s.signer_name} ({s.signer_id}), "
                     f"{s.meaning}, {s.signed_at.isoformat(timespec='seconds')}{why}")
    if not signatures:
        lines.append("not signed")
    return ok, lines
