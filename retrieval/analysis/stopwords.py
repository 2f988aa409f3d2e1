"""Step 3 of the analyzer: drop function words and question words that carry no topic."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from retrieval.analysis.normalize import normalize
from retrieval.analysis.tokenize import tokenize


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword set, run through the chain's earlier stages (normalize, tokenize) like any text."""
    text = resources.files("retrieval.resources").joinpath("stopwords_ar.txt").read_text("utf-8")
    found: set[str] = set()
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            found.update(tokenize(normalize(line)))
    return frozenset(found)


def is_stopword(token: str) -> bool:
    return token in stopwords()


def drop_stopwords(tokens: list[str]) -> list[str]:
    stop = stopwords()
    return [t for t in tokens if t not in stop]
