"""Bytes to text whatever their charset: what a page, a feed or an article file declares (BOM, HTTP
header, <meta charset>, XML declaration), then UTF-8, then charset-normalizer's best guess. Arabic
sites still serve windows-1256, often declared nowhere, and article files saved by their tools too.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from bot.intake.errors import DecodeError

_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""", re.I)
# WHATWG: these labels mean windows-1252 in every browser, and pages rely on it.
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(label: bytes | str | None) -> str | None:
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = _LABEL_ALIASES.get(name.strip().lower(), name.strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_encodings(content: bytes, content_type: str | None = None) -> list[str]:
    """Encodings the bytes claim, strongest first: BOM, HTTP header, <meta charset>, XML declaration."""
    found: list[str] = []
    for bom, name in _BOMS:
        if content.startswith(bom):
            found.append(name)
    if content_type:
        match = _CHARSET_PARAM.search(content_type.encode("latin-1", "ignore"))
        if match:
            found.append(_codec(match.group(1)) or "")
    head = content[:4096]
    match = _META_CHARSET.search(head)
    if match:
        found.append(_codec(match.group(1)) or "")
    match = _XML_DECL.search(head)
    if match:
        found.append(_codec(match.group(1)) or "")
    return [name for name in dict.fromkeys(found) if name]


def decode(content: bytes, content_type: str | None = None) -> str:
    """Bytes to text by the declared charset, then UTF-8, then charset-normalizer's best guess."""
    for name in [*declared_encodings(content, content_type), "utf-8"]:
        try:
            return content.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return content.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    raise DecodeError("undecodable text: no declared or detectable charset fits")
