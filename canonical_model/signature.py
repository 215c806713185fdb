"""Electronic signatures (21 CFR Part 11).

§11.50 requires the printed name of the signer, the date and time, and the meaning of the
signature; §11.70 requires the signature to be linked to its record so it cannot be copied to
another one: `record_hash` is the sha256 of the signed record's canonical form.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from canonical_model.base import CanonicalModel, Identifier, UtcDateTime

SignatureMeaning = Literal["authored", "reviewed", "approved", "released", "verified", "rejected"]
SHA256_HEX = r"^[0-9a-f]{64}$"


class ElectronicSignature(CanonicalModel):
    """One signer's signature of one record version, with its meaning."""

    signature_id: Identifier = Field(description="Signature id")
    signer_id: Identifier = Field(description="User id of the signer (unique, never reused: §11.100)")
    signer_name: str = Field(min_length=1, description="Full printed name of the signer (§11.50(a)(1))")
    meaning: SignatureMeaning = Field(description="Meaning of the signature (§11.50(a)(3))")
    signed_at: UtcDateTime = Field(description="Date and time of signing (§11.50(a)(2))")
    record_type: str = Field(min_length=1, description="Type of record signed, e.g. 'lot_disposition'")
    record_id: Identifier = Field(description="Id of the record signed")
    record_hash: str = Field(pattern=SHA256_HEX, description="sha256 hex of the signed record (§11.70 link)")
    reason: str | None = Field(default=None, min_length=1, description="Signer's comment or reason, if given")
