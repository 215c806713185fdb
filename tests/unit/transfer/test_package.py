"""Sealing and verifying a package: the happy path, and one precise refusal per way it can be wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canonical_model.process_definition import ProcessDefinition
from orchestrator.audit.keys import key_id
from orchestrator.transfer.library import compose_process
from orchestrator.transfer.package import (
    TransferPackage,
    build_package,
    content_hash,
    from_bytes,
    load_public_key,
    public_key_pem,
    to_bytes,
)
from orchestrator.transfer.problems import ProblemsError
from orchestrator.transfer.verify import verify
from tests.unit.transfer.helpers import CREATED, EXPANSION, at, edited, resealed, sealed, tampered

pytestmark = pytest.mark.unit


def test_the_content_hash_is_deterministic(package: TransferPackage) -> None:
    first, second = (build_package(compose_process(), transfer_id="TT-2026-0001", sponsor_site="SPONSOR-BOS",
                                   created_at=CREATED) for _ in range(2))
    assert content_hash(first) == content_hash(second)
    document = package.model_dump(mode="json")
    reordered = json.loads(json.dumps(dict(reversed(list(document.items())))))
    assert content_hash(reordered) == content_hash(package) == package.content_hash
    # hash, e-signature and seal are not content: removing them does not change the hash
    assert content_hash({k: v for k, v in document.items() if k not in ("approval", "seal")}) == package.content_hash


def test_the_hash_covers_every_content_field(package: TransferPackage) -> None:
    document = package.model_dump(mode="json")
    for change in ({"sponsor_site": "ELSEWHERE"}, {"version": 2}, {"created_at": "2026-03-20T09:00:00Z"}):
        assert content_hash({**document, **change}) != package.content_hash


def test_sealing_approves_links_and_signs(package: TransferPackage, sponsor_key: Ed25519PrivateKey) -> None:
    assert package.definition.status == "approved"
    assert package.approval is not None and package.seal is not None
    assert package.approval.record_hash == package.content_hash == package.definition.content_hash
    assert (package.approval.meaning, package.approval.record_id) == ("approved", "TT-2026-0001")
    assert package.seal.key_id == key_id(sponsor_key.public_key())


def test_a_sealed_package_verifies_as_file_and_as_model(package: TransferPackage, package_bytes: bytes,
                                                        sponsor_key: Ed25519PrivateKey) -> None:
    trusted = load_public_key(public_key_pem(sponsor_key.public_key()))
    assert verify(package_bytes, trusted) == []
    assert verify(package, trusted) == []
    assert from_bytes(package_bytes) == package


def test_tampered_content_is_a_hash_mismatch(package_bytes: bytes, sponsor_key: Ed25519PrivateKey) -> None:
    def widen(document: dict[str, Any]) -> None:
        at(document["definition"], *EXPANSION, 0)["high"] = 39.0

    problems = verify(tampered(package_bytes, widen), sponsor_key.public_key())
    assert [(p.kind, p.path) for p in problems] == [("hash_mismatch", "content_hash")]
    assert "content changed after sealing" in problems[0].reason


def test_a_package_sealed_by_another_key_is_refused(package_bytes: bytes) -> None:
    problems = verify(package_bytes, Ed25519PrivateKey.generate().public_key())
    assert [(p.kind, p.path) for p in problems] == [("signature", "seal")]
    assert "not with the trusted sponsor key" in problems[0].reason


def test_a_forged_seal_over_changed_content_is_refused(package_bytes: bytes) -> None:
    mallory = Ed25519PrivateKey.generate()
    forged = resealed(package_bytes, lambda d: at(d["definition"], *EXPANSION, 0).update(high=39.0), mallory)
    problems = verify(forged, Ed25519PrivateKey.generate().public_key())
    assert [p.kind for p in problems] == ["signature"]


def test_a_tampered_e_signature_breaks_the_seal(package_bytes: bytes, sponsor_key: Ed25519PrivateKey) -> None:
    problems = verify(tampered(package_bytes, lambda d: d["approval"].update(signer_name="Mallory")),
                      sponsor_key.public_key())
    assert [(p.kind, p.path) for p in problems] == [("signature", "seal.signature")]
    assert "the e-signature or the signature was altered" in problems[0].reason


def test_an_e_signature_of_other_content_is_not_linked(package_bytes: bytes, sponsor_key: Ed25519PrivateKey) -> None:
    problems = verify(tampered(package_bytes, lambda d: d["approval"].update(record_hash="0" * 64)),
                      sponsor_key.public_key())
    assert [(p.kind, p.path) for p in problems] == [("e_signature", "approval.record_hash"),
                                                    ("signature", "seal.signature")]
    assert "not linked to this content" in problems[0].reason


def test_schema_invalid_content_is_refused_by_field_path(package_bytes: bytes,
                                                         sponsor_key: Ed25519PrivateKey) -> None:
    def invalid(document: dict[str, Any]) -> None:
        at(document["definition"], *EXPANSION, 1)["classification"] = "critical"

    problems = verify(resealed(package_bytes, invalid, sponsor_key), sponsor_key.public_key())
    assert [(p.kind, p.path) for p in problems] == [
        ("schema", "definition.master_recipe.unit_procedures[4].operations[0].phases[0].parameters[1]"
                   ".classification")]
    assert "'CPP', 'CQA', 'KPP' or 'non-critical'" in problems[0].reason


def test_an_unknown_unit_is_refused_by_field_path(sponsor_key: Ed25519PrivateKey,
                                                  definition: ProcessDefinition) -> None:
    def litre(document: dict[str, Any]) -> None:
        at(document["bom"], 4, "quantity")["unit"] = "litre"

    problems = verify(sealed(sponsor_key, edited(definition, litre)), sponsor_key.public_key())
    assert [(p.kind, p.path) for p in problems] == [("unknown_unit", "definition.bom[4].quantity.unit")]
    assert "unknown unit 'litre'" in problems[0].reason


def test_an_unsealed_package_is_refused(definition: ProcessDefinition, sponsor_key: Ed25519PrivateKey) -> None:
    draft = build_package(definition, transfer_id="TT-1", sponsor_site="SPONSOR-BOS", created_at=CREATED)
    assert {p.path for p in verify(to_bytes(draft), sponsor_key.public_key())} == {"content_hash", "approval", "seal"}


@pytest.mark.parametrize("data", [b"\x89PNG", b"[1, 2]", b'{"version": NaN}'])
def test_unreadable_bytes_are_refused_without_a_traceback(data: bytes, sponsor_key: Ed25519PrivateKey) -> None:
    [problem] = verify(data, sponsor_key.public_key())
    assert problem.kind == "unreadable"
    with pytest.raises(ProblemsError):
        from_bytes(data)


def test_from_bytes_lists_schema_problems(package_bytes: bytes) -> None:
    with pytest.raises(ProblemsError) as info:
        from_bytes(tampered(package_bytes, lambda d: d.update(version=0, sponsor_site="")))
    assert {p.path for p in info.value.problems} == {"version", "sponsor_site"}
