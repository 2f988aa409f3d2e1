"""Typo tolerance for question terms the corpus does not hold (ترائس for ترأس, اردغان for اردوغان).

Every string one edit away from the unknown term (a letter dropped, added, replaced, or two
neighbours swapped) is looked up in the corpus vocabulary, as in Norvig's corrector: a few hundred
dictionary look-ups per unknown term, and no index to build or keep in memory.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

# Shorter words have too many neighbours one edit away to guess which was meant.
MIN_LENGTH = 4
# Longer "words" are not typos of a word (and their edits would take memory quadratic in the length).
MAX_LENGTH = 20

# Letters as they stand after normalization (أ إ آ → ا, ى → ي, ة → ه are already folded).
ARABIC_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهويؤئ"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def edits1(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or adjacent swap away from `word`."""
    letters = LATIN_LETTERS if word[:1].isascii() else ARABIC_LETTERS
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | swaps | replaces | inserts) - {word}


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class SpellingIndex:
    def __init__(self, doc_freqs: Mapping[str, int], vocabulary: Container[str] | None = None) -> None:
        """`vocabulary`, when given, holds at least every term of `doc_freqs` and answers `in` fast
        (a dict): the few hundred candidates of a term are screened there first."""
        self._doc_freqs = doc_freqs
        self._vocabulary = vocabulary if vocabulary is not None else doc_freqs

    def correct(self, term: str) -> str | None:
        """The most frequent corpus term one edit from `term`, or None when there is none."""
        if term in self._doc_freqs or not MIN_LENGTH <= len(term) <= MAX_LENGTH or not term.isalpha():
            return None
        vocabulary = self._vocabulary
        matches = [c for c in edits1(term) if c in vocabulary and len(c) >= MIN_LENGTH and c in self._doc_freqs]
        if not matches:
            return None
        return max(matches, key=lambda c: (self._doc_freqs[c], c))

    def correct_all(self, terms: Iterable[str]) -> dict[str, str]:
        fixes = {}
        for term in terms:
            fixed = self.correct(term)
            if fixed is not None:
                fixes[term] = fixed
        return fixes
