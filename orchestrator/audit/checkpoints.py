"""Signed checkpoints: the chain head at a moment, signed with the audit key.

A hash chain alone can be rebuilt by whoever can write the database; a signature over the head
cannot be forged without the key, so everything up to the last checkpoint is fixed. Checkpoints
are numbered from 1 without gaps, each covering a later head than the one before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orchestrator.audit.canonical import canonical_json, now_text
from orchestrator.audit.keys import Signer, Verifier
from orchestrator.audit.schema import checkpoints

SIGNED_FIELDS = ("number", "upto_seq", "head_hash", "created_at", "key_id")


def signed_bytes(row: dict[str, Any]) -> bytes:
    return canonical_json({name: row[name] for name in SIGNED_FIELDS}).encode("utf-8")


async def last_checkpoint(conn: AsyncConnection) -> dict[str, Any] | None:
    top = (await conn.execute(select(func.max(checkpoints.c.number)))).scalar()
    if top is None:
        return None
    row = (await conn.execute(select(checkpoints).where(checkpoints.c.number == top))).mappings().one()
    return dict(row)


async def write_checkpoint(conn: AsyncConnection, signer: Signer, upto_seq: int, head_hash: str) -> dict[str, Any]:
    """Sign and insert a checkpoint of head (upto_seq, head_hash); the caller holds the append lock."""
    last = await last_checkpoint(conn)
    row: dict[str, Any] = {"number": (last["number"] if last else 0) + 1, "upto_seq": upto_seq,
                           "head_hash": head_hash, "created_at": now_text(), "key_id": signer.verifier.key_id}
    row["signature"] = signer.sign(signed_bytes(row))
    await conn.execute(checkpoints.insert().values(**row))
    return row


def checkpoint_problem(row: dict[str, Any], verifier: Verifier | None, expected_number: int,
                       previous_upto: int) -> str | None:
    """What is wrong with one checkpoint row on its own (its link to the records is checked by verify)."""
    number = row["number"]
    if number != expected_number:
        return f"checkpoint #{expected_number} is missing (found #{number} next)"
    if row["upto_seq"] <= previous_upto:
        return f"checkpoint #{number} covers record {row['upto_seq']}, not after checkpoint #{number - 1}"
    if verifier is None:
        return f"checkpoint #{number} cannot be checked: no audit key (keys/audit-ed25519.pem or .pub.pem)"
    if row["key_id"] != verifier.key_id:
        return f"checkpoint #{number} was signed by key {row['key_id']}, not by this trail's key {verifier.key_id}"
    if not verifier.verify(row["signature"], signed_bytes(row)):
        return f"checkpoint #{number} has an invalid signature (altered after signing)"
    return None
