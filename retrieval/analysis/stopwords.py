"""Step 3 of the analyzer: drop function words and question words that carry no topic."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from retrieval.analysis.normalize import normalize
from retrieval.analysis.tokenize import tokenize

# The conjunctions a follow-up question opens with, written onto its question word: «ومين؟», «فمتى؟»,
# «ووين؟», «وبكم؟». Read off question words only: on function words at large they meet real words
# (فتحت = ف + تحت, فعلي = ف + علي, فرح = ف + رح, ودي = و + دي).
PROCLITICS = ("و", "ف")


def _word_list(name: str) -> frozenset[str]:
    """A resource word list, run through the chain's earlier stages (normalize, tokenize) like any text."""
    text = resources.files("retrieval.resources").joinpath(name).read_text("utf-8")
    found: set[str] = set()
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            found.update(tokenize(normalize(line)))
    return frozenset(found)


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    """Question words, standard and dialect (resources/question_words_ar.txt), normalized."""
    return _word_list("question_words_ar.txt")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword set: function words and fillers (stopwords_ar.txt) and the question words."""
    return _word_list("stopwords_ar.txt") | question_words()


def bare_question_word(token: str) -> str | None:
    """The question word `token` is, with a و/ف proclitic read off (ومين → مين), or None."""
    if token in question_words():
        return token
    if len(token) > 2 and token.startswith(PROCLITICS) and token[1:] in question_words():
        return token[1:]
    return None


def is_stopword(token: str) -> bool:
    return token in stopwords() or bare_question_word(token) is not None


def drop_stopwords(tokens: list[str]) -> list[str]:
    return [t for t in tokens if not is_stopword(t)]
