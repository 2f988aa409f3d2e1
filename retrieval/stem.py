"""Step 4 of the analyzer: light stemming (Larkey's light10, as Lucene's ArabicStemmer applies it).

Light stemming strips the article, the conjunction و and common inflectional suffixes; it never
reaches for roots, which would conflate unrelated words (كتاب, مكتب, كاتب) and hurt precision.
Input must already be normalized (ة→ه, ى→ي), so only the folded forms are listed.
"""

from __future__ import annotations

PREFIXES: tuple[str, ...] = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "وا", "ا", "ي")

# A stem keeps at least this many letters: shorter remnants are mostly ambiguous.
MIN_STEM = 2


def strip_prefix(word: str) -> str:
    """Remove at most one prefix, the first listed one that leaves a long enough stem."""
    for prefix in PREFIXES:
        # Lone و needs a longer word: three-letter words starting with و are usually roots (وزن, وقت).
        needed = len(prefix) + MIN_STEM + (1 if len(prefix) == 1 else 0)
        if word.startswith(prefix) and len(word) >= needed:
            return word[len(prefix):]
    return word


def strip_suffixes(word: str) -> str:
    """Remove each listed suffix in turn while the stem stays long enough."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) >= len(suffix) + MIN_STEM:
            word = word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    if not word.isalpha():
        return word  # numbers and mixed tokens (1993, covid19) are kept whole
    return strip_suffixes(strip_prefix(word))
