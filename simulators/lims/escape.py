"""HL7 v2 escape sequences (v2.5.1 chapter 2.7) for the default delimiters `|^~\\&`.

Text that crosses the wire (NTE comments, OBX text values, ERR and ZAU texts) is decoded on input and
encoded on output, so a comment such as "pH 7.2 | see \\ note" survives a round trip unchanged.
Line breaks travel as the formatting command `\\.br\\` (allowed in FT/TX; real LIMS use it in ST too).
"""

from __future__ import annotations

import re

_ENCODE = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}
_DECODE = {"E": "\\", "F": "|", "S": "^", "T": "&", "R": "~", ".br": "\n"}
_SEQUENCE = re.compile(r"\\([^\\\r]{1,64})\\")


def encode(text: str) -> str:
    """Plain text -> HL7 field content (delimiters escaped, newlines as \\.br\\)."""
    out = "".join(_ENCODE.get(ch, ch) for ch in text.replace("\r\n", "\n").replace("\r", "\n"))
    return out.replace("\n", "\\.br\\")


def _decode_one(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _DECODE:
        return _DECODE[body]
    if body[0] == "X" and re.fullmatch(r"X(?:[0-9A-Fa-f]{2})+", body):
        return bytes.fromhex(body[1:]).decode("utf-8", errors="replace")
    if body in ("H", "N") or body.startswith((".sp", ".in", ".ti", ".sk", ".ce", ".fi", ".nf")):
        return ""  # highlighting and layout commands carry no text
    return match.group(0)  # unknown sequence: keep it verbatim rather than lose data


def decode(value: str) -> str:
    """HL7 field content -> plain text. Unknown sequences are kept verbatim."""
    return _SEQUENCE.sub(_decode_one, value) if "\\" in value else value
