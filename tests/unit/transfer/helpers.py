"""Shared builders of transfer tests: a sealed CAR-T package and ways to tamper with its file form."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canonical_model.process_definition import ProcessDefinition
from orchestrator.audit.keys import Signer
from orchestrator.transfer.library import compose_process
from orchestrator.transfer.package import TransferPackage, build_package, content_hash, seal, sealed_message

CREATED = datetime(2026, 3, 19, 9, 0, tzinfo=UTC)
SIGNED = datetime(2026, 3, 19, 9, 30, tzinfo=UTC)
EXPANSION = ("master_recipe", "unit_procedures", 4, "operations", 0, "phases", 0, "parameters")


@cache
def car_t() -> ProcessDefinition:
    """The bundled CAR-T process, composed once per test session (it is frozen)."""
    return compose_process("car-t-autologous")


def sealed(key: Ed25519PrivateKey, definition: ProcessDefinition | None = None) -> TransferPackage:
    package = build_package(definition or car_t(), transfer_id="TT-2026-0001", sponsor_site="SPONSOR-BOS",
                            created_at=CREATED)
    return seal(package, signer_id="qa.jsmith", signer_name="Jo Smith", signed_at=SIGNED, private_key=key)


def edited(definition: ProcessDefinition, change: Callable[[dict[str, Any]], None]) -> ProcessDefinition:
    """A copy of `definition` with `change` applied to its JSON form (and validated again)."""
    document = definition.model_dump(mode="json")
    change(document)
    return ProcessDefinition.model_validate(document)


def at(document: Any, *path: str | int) -> Any:
    for part in path:
        document = document[part]
    return document


def tampered(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document).encode()


def resealed(data: bytes, change: Callable[[dict[str, Any]], None], key: Ed25519PrivateKey) -> bytes:
    """Change the file, then hash, e-sign and seal it again properly: only the content can be wrong."""
    document = json.loads(data)
    change(document)
    digest = content_hash(document)
    document["content_hash"] = document["definition"]["content_hash"] = digest
    document["approval"]["record_hash"] = digest
    document["seal"]["signature"] = Signer(key).sign(sealed_message(digest, document["approval"]))
    return json.dumps(document).encode()
