"""Step 3 of the analyzer: drop function words and question words that carry no topic."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from retrieval.normalize import normalize
from retrieval.tokenize import tokenize


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword set, normalized with the same function as the text it filters."""
    text = resources.files("retrieval.resources").joinpath("stopwords_ar.txt").read_text("utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            words.update(tokenize(normalize(line)))
    return frozenset(words)


def drop_stopwords(tokens: list[str]) -> list[str]:
    stop = stopwords()
    return [t for t in tokens if t not in stop]
