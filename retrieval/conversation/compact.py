"""A question packed into a button's callback data (Telegram allows 64 bytes), and unpacked.

The question is kept as the analyzer's first stages read it (normalized words), one ASCII character a
letter: Arabic letters take two bytes in UTF-8, so a packed question carries twice the words. Packing
then unpacking gives text the analyzer reads exactly as the question (normalization is idempotent),
so the button works after any restart without anything stored. A question too long to fit loses its
stopwords after the first two words (the question word stays), then its last words.
"""

from __future__ import annotations

from retrieval.analysis.analyzer import term, words

# The letters normalize() leaves (أإآ→ا, ة→ه, ى→ي), each to one ASCII character; digits and Latin
# letters stand for themselves, "_" for a space, and anything else is dropped.
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءئؤ"
_CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&"
_PACK = dict(zip(_ARABIC, _CODES, strict=True))
_UNPACK = {c: a for a, c in _PACK.items()}
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _packed_word(word: str) -> str:
    return "".join(_PACK.get(ch, ch if ch in _PLAIN else "") for ch in word)


def pack(text: str, limit: int) -> str:
    """`text` in at most `limit` ASCII characters (see the module's doc)."""
    packed = [p for w in words(text) if (p := _packed_word(w))]
    if len("_".join(packed)) > limit:
        kept = words(text)
        packed = [p for i, w in enumerate(kept) if (p := _packed_word(w)) and (i < 2 or term(w) is not None)]
    out = ""
    for p in packed:
        candidate = f"{out}_{p}" if out else p
        if len(candidate) > limit:
            break
        out = candidate
    return out


def unpack(code: str) -> str:
    """The normalized words `pack` kept, as text the analyzer reads like the question."""
    return "".join(" " if ch == "_" else _UNPACK.get(ch, ch if ch in _PLAIN else "") for ch in code)
