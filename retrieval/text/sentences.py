"""Sentence splitting that keeps the original text verbatim (tatweel, diacritics and quotes included).

A "sentence" is at most MAX_SENTENCE_CHARS long: a run-on without full stops (a page that lost its
punctuation, a pasted blob) is cut at a clause mark, else at a space, so one sentence can never make
an answer or a push of hundreds of messages.
"""

from __future__ import annotations

import re

# A sentence ends at a run of . ! ? ؟ … (or ...), optionally followed by closing quotes or brackets,
# then whitespace or the end. A dot between two digits (3.5, 1.200) is not an end.
# Linear on any line: the two dot cases exclude each other and the run is possessive (a dot matching
# two ways made "خبر.....x" take exponential time), and a match starts only where a run of marks
# starts (a run that cannot end a sentence from its first mark cannot from a later one either).
_SENTENCE_END = re.compile(r"(?<![.!?؟…])(?:\.(?!\d)|(?<!\d)\.(?=\d)|[!?؟…])++[\"'”’»)\]]*+(?=\s|$)")
_HAS_WORD = re.compile(r"[^\W_]")
# Real news sentences stay well under this (a long Arabic one runs to 300-400 characters).
MAX_SENTENCE_CHARS = 600
_CLAUSE_MARKS = "،,؛;:"


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
    if len(piece) > MAX_SENTENCE_CHARS:
        for part in _cut(piece, MAX_SENTENCE_CHARS):
            _keep(sentences, part)
    elif _HAS_WORD.search(piece):
        sentences.append(piece)


def _cut(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, each cut after the last clause mark in the second
    half of its window, else at the last space there, else hard. Each window is searched once and the
    next starts at least limit/2 further on: linear in the text."""
    pieces, start = [], 0
    while len(text) - start > limit:
        low, high = start + limit // 2, start + limit
        cut = max(text.rfind(mark, low, high) for mark in _CLAUSE_MARKS) + 1
        if cut == 0:
            space = text.rfind(" ", low, high)
            cut = space if space != -1 else high
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces
