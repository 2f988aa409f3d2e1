"""Sentence splitting that keeps the original text verbatim (tatweel, diacritics and quotes included)."""

from __future__ import annotations

import re

# A sentence ends at a run of . ! ? ؟ … (or ...), optionally followed by closing quotes or brackets,
# then whitespace or the end. A dot between two digits (3.5, 1.200) is not an end.
_SENTENCE_END = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[!?؟…])+[\"'”’»)\]]*(?=\s|$)")
_HAS_WORD = re.compile(r"[^\W_]")


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences, inside lines too; fragments with no letter or digit are dropped."""
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            _keep(sentences, line[start : match.end()])
            start = match.end()
        _keep(sentences, line[start:])
    return sentences


def _keep(sentences: list[str], piece: str) -> None:
    piece = piece.strip()
    if _HAS_WORD.search(piece):
        sentences.append(piece)
