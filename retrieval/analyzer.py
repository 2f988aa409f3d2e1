"""The analyzer chain: normalize → tokenize → drop stopwords → stem.

Articles and questions go through the very same chain, so a word matches whatever way it is spelled.
"""

from __future__ import annotations

import re

from retrieval.normalize import normalize
from retrieval.stem import stem
from retrieval.stopwords import drop_stopwords
from retrieval.tokenize import tokenize


def analyze(text: str) -> list[str]:
    """Index terms of `text`, in order, repeats kept (BM25 counts them)."""
    return [stem(t) for t in drop_stopwords(tokenize(normalize(text)))]


# A surface word: letters and digits with the marks and tatweel that may sit inside them.
_SURFACE_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")


def term_spans(text: str, terms: frozenset[str] | set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose index term is in `terms` (for highlighting)."""
    spans = []
    for match in _SURFACE_WORD.finditer(text):
        analyzed = analyze(match.group())
        if analyzed and any(term in terms for term in analyzed):
            spans.append(match.span())
    return spans
