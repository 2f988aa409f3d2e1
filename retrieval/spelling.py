"""Typo tolerance for question terms the corpus does not hold (ترائس for ترأس, اردوغن for اردوغان).

A symmetric-delete dictionary (as in SymSpell) finds every corpus term within one edit of an unknown
question term in a few dictionary look-ups, without scanning the vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Shorter words have too many neighbours one edit away to guess which was meant.
MIN_LENGTH = 4


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


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
    def __init__(self, doc_freqs: Mapping[str, int]) -> None:
        self._doc_freqs = doc_freqs
        self._by_delete: dict[str, list[str]] = {}
        for term in doc_freqs:
            if len(term) >= MIN_LENGTH and term.isalpha():
                for key in _deletes(term):
                    self._by_delete.setdefault(key, []).append(term)

    def correct(self, term: str) -> str | None:
        """The most frequent corpus term one edit from `term`, or None when there is none."""
        if term in self._doc_freqs or len(term) < MIN_LENGTH or not term.isalpha():
            return None
        candidates: set[str] = set()
        for key in _deletes(term) | {term}:
            candidates.update(self._by_delete.get(key, ()))
        if term in self._doc_freqs:
            candidates.add(term)
        # A deleted letter of the question may be the whole difference (اردوغن → اردوغان).
        candidates.update(t for t in _deletes(term) if t in self._doc_freqs and len(t) >= MIN_LENGTH)
        matches = [c for c in candidates if within_one_edit(term, c)]
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
