"""The analyzer chain: normalize → tokenize → drop stopwords → stem.

Articles and questions go through the very same chain, so a word matches whatever way it is spelled.
Like Lucene's ArabicAnalyzer, the chain is composed here once; every consumer (the indexes, answer
types, the article parser, highlighting) takes its words or terms from this module rather than
calling the stages itself, so a change to a stage reaches all of them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from retrieval.analysis.normalize import normalize
from retrieval.analysis.roots import RootTable, root
from retrieval.analysis.stem import stem
from retrieval.analysis.stopwords import is_stopword
from retrieval.analysis.tokenize import tokenize

__all__ = ["Analyzer", "RootTable", "analyze", "fingerprint", "term", "term_root", "term_spans", "words"]

# Anything that turns a text into index terms (the indexes take one, so tests can swap the chain).
Analyzer = Callable[[str], list[str]]


def words(text: str) -> list[str]:
    """The first two stages: normalized word tokens, stopwords and inflections kept.

    Rules that look at the shape of a text (question words, chrome phrases, month names) read these.
    """
    return tokenize(normalize(text))


def term(word: str) -> str | None:
    """The last two stages for one normalized word: its index term, or None for a stopword."""
    return None if is_stopword(word) else stem(word)


def analyze(text: str) -> list[str]:
    """Index terms of `text`, in order, repeats kept (BM25 counts them)."""
    return [stem(t) for t in words(text) if not is_stopword(t)]


def term_root(index_term: str) -> str | None:
    """The root of an index term (see roots.py): evidence for reranking, never an index term itself.
    The roots of an index's own terms are read through a RootTable over its vocabulary."""
    return root(index_term)


# Modules of this package whose output never becomes an index term (roots are rerank evidence): a
# change there leaves stored analysis valid.
NOT_INDEXED = frozenset({"roots.py"})


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A digest of the chain's code and word lists: analysis stored by another version (an index
    snapshot) is recognised as stale when this changes, whatever the change was."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = [p for p in here.glob("*.py") if p.name not in NOT_INDEXED]
    for path in sorted([*files, *(here.parent / "resources").glob("*.txt")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# A surface word: letters and digits with the marks and tatweel that may sit inside them.
_SURFACE_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")


def term_spans(text: str, terms: frozenset[str] | set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose index term is in `terms` (for highlighting)."""
    spans = []
    for match in _SURFACE_WORD.finditer(text):
        analyzed = analyze(match.group())
        if analyzed and any(t in terms for t in analyzed):
            spans.append(match.span())
    return spans
