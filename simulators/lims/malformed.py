"""What the `malformed` fault puts on the wire instead of a good message: the two breakages interface
analysts meet most with legacy LIMS, a header cut short and a frame without MLLP envelope.
"""

from __future__ import annotations

from simulators.lims import mllp

VARIANTS = ("MSH cut after MSH-4 (no MSH-7, MSH-9, MSH-10, MSH-12)", "no MLLP envelope (<VT> ... <FS><CR> missing)")


def garble(payload: bytes, variant: int) -> bytes:
    """Wire bytes for `payload` broken in the chosen way (variant 0 or 1)."""
    if variant % 2 == 0:
        head, sep, rest = payload.partition(b"\r")
        return mllp.wrap(b"|".join(head.split(b"|")[:4]) + sep + rest)
    return payload.replace(b"\r", b"\n")
