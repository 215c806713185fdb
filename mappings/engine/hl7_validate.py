"""Validating an outgoing HL7 v2 message with hl7apy against the standard's message structure.

hl7apy's own group detection mis-reads repeated order groups (a second ORC is taken for a prior
order), so the message is assembled with the groups the mapping declares, then validated strictly.
"""

from __future__ import annotations

from typing import Any, Protocol

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_segment

from mappings.engine.errors import TranslationError


class Rendered(Protocol):
    text: str
    group: tuple[str, ...]
    iteration: tuple[int, ...]


def validate_hl7(segments: list[Any], message: str, version: str) -> None:
    """Raise TranslationError naming the rule hl7apy found broken; message is MSH-9 like OML^O21^OML_O21."""
    structure = message.split("^")[2] if message.count("^") >= 2 else message.replace("^", "_")
    try:
        msg = Message(structure, version=version, validation_level=VALIDATION_LEVEL.STRICT)
        groups: dict[tuple[Any, ...], Any] = {}
        for seg in segments:
            parsed = parse_segment(seg.text, version=version, validation_level=VALIDATION_LEVEL.STRICT)
            if seg.text.startswith("MSH"):
                msg.msh = parsed
                continue
            parent = msg
            for depth in range(1, len(seg.group) + 1):
                key = (seg.iteration, seg.group[:depth])
                if key not in groups:
                    groups[key] = parent.add_group(seg.group[depth - 1])
                parent = groups[key]
            parent.add(parsed)
        msg.validate()
    except (HL7apyException, ValueError, KeyError) as exc:
        raise TranslationError("hl7apy", f"{message} is not valid HL7 v{version}: {exc}") from None
