"""Fixtures of the tech-transfer unit tests: the sponsor's instance key and its sealed CAR-T package."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.package import TransferPackage, to_bytes
from tests.unit.transfer.helpers import car_t, sealed


@pytest.fixture(scope="session")
def sponsor_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def definition() -> ProcessDefinition:
    return car_t()


@pytest.fixture(scope="session")
def package(sponsor_key: Ed25519PrivateKey) -> TransferPackage:
    return sealed(sponsor_key)


@pytest.fixture(scope="session")
def package_bytes(package: TransferPackage) -> bytes:
    return to_bytes(package)
