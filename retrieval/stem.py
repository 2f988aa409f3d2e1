"""Step 4 of the analyzer: light stemming (Larkey's light10, as Lucene's ArabicStemmer applies it).

Light stemming strips the article, the conjunction و and common inflectional suffixes; it never
reaches for roots, which would conflate unrelated words (كتاب, مكتب, كاتب) and hurt precision.
Input must already be normalized (ة→ه, ى→ي), so only the folded forms are listed.
"""

from __future__ import annotations

from functools import lru_cache

ARTICLES: tuple[str, ...] = ("ال", "وال", "بال", "كال", "فال", "لل")
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "وا", "ا", "ي")
CONJUNCTION = "و"

# A stem keeps at least this many letters: shorter remnants are mostly ambiguous.
MIN_STEM = 2
# The conjunction goes only when three letters stay: و is also the first letter of many roots (وضع, وطن).
MIN_STEM_AFTER_WAW = 3


def strip_article(word: str) -> str:
    """Remove at most one article form, the first listed one that leaves a long enough stem."""
    for prefix in ARTICLES:
        if word.startswith(prefix) and len(word) >= len(prefix) + MIN_STEM:
            return word[len(prefix):]
    return word


def strip_suffixes(word: str) -> str:
    """Remove each listed suffix in turn while the stem stays long enough."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) >= len(suffix) + MIN_STEM:
            word = word[: -len(suffix)]
    return word


def strip_conjunction(word: str) -> str:
    """Remove a leading و last, so وزير, الوزير and والوزير all meet in one stem (light10 splits them)."""
    if word.startswith(CONJUNCTION) and len(word) > MIN_STEM_AFTER_WAW:
        return word[1:]
    return word


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    if not word.isalpha():
        return word  # numbers and mixed tokens (1993, covid19) are kept whole
    return strip_conjunction(strip_suffixes(strip_article(word)))
