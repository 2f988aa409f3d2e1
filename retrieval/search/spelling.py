"""Typo tolerance for question terms the corpus does not hold (ترائس for ترأس, اردغان for اردوغان).

Every string one edit away from the unknown term (a letter dropped, added, replaced, or two
neighbours swapped) is looked up in the corpus vocabulary, as in Norvig's corrector: a few hundred
dictionary look-ups per unknown term, and no index to build or keep in memory.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sized

from retrieval.analysis.stem import LONG_VOWELS, stem

# Shorter words have too many neighbours one edit away to guess which was meant.
MIN_LENGTH = 4
# Longer "words" are not typos of a word (and their edits would take memory quadratic in the length).
MAX_LENGTH = 20

# One-letter proclitics the light stemmer leaves on (بداعش, لمدير, ستطبق, كمصدر, فقال): a question
# term read without one when the corpus writes that word far more often bare.
PROCLITICS = "بلكفس"
PROCLITIC_RATIO = 10
# A known term this rare is read as a slip of a term one long vowel shorter, this many times as frequent.
RARE_SLIP_MAX = 2
RARE_SLIP_RATIO = 100
MIN_BARE = 3

# Letters as they stand after normalization (أ إ آ → ا, ى → ي, ة → ه are already folded).
ARABIC_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهويؤئ"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Up to this many terms (the related headlines, a young index), candidates come from an index of
# the terms' one-letter deletions instead of the ~70 strings per letter that edits1 generates.
SMALL_VOCABULARY = 20_000


def edits1(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or adjacent swap away from `word`."""
    letters = LATIN_LETTERS if word[:1].isascii() else ARABIC_LETTERS
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | swaps | replaces | inserts) - {word}


def one_edit(word: str, other: str, letters: str) -> bool:
    """Whether `other` is in edits1(word): inserted and substituted letters must come from `letters`."""
    if len(other) == len(word) - 1:
        return any(word[:i] + word[i + 1 :] == other for i in range(len(word)))
    if len(other) == len(word) + 1:
        return any(other[:i] + other[i + 1 :] == word and other[i] in letters for i in range(len(other)))
    if len(other) != len(word) or other == word:
        return False
    diff = [i for i in range(len(word)) if word[i] != other[i]]
    if len(diff) == 1:
        return other[diff[0]] in letters
    i = diff[0]
    return len(diff) == 2 and diff[1] == i + 1 and word[i] == other[i + 1] and word[i + 1] == other[i]


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
        self._deletions: dict[str, list[str]] | None = None  # built on first use, small vocabularies only

    def correct(self, term: str) -> str | None:
        """The bare word under a proclitic, else the most frequent corpus term one edit from an unknown
        `term`; None when there is none."""
        bare = self.without_proclitic(term)
        if bare is not None:
            return bare
        if not MIN_LENGTH <= len(term) <= MAX_LENGTH or not term.isalpha():
            return None
        if term in self._doc_freqs:
            return self._rare_slip(term)
        vocabulary = self._vocabulary
        if isinstance(vocabulary, Sized) and len(vocabulary) <= SMALL_VOCABULARY:
            pool: Iterable[str] = self._near(term)
        else:
            pool = edits1(term)
        matches = [c for c in pool if c in vocabulary and len(c) >= MIN_LENGTH and c in self._doc_freqs]
        if not matches:
            return None
        # A long vowel written twice or where none belongs (الموصال for الموصل) is the commonest slip:
        # when taking one out gives a corpus word, that reading wins over likelier-looking others.
        vowel_dropped = {term[:i] + term[i + 1 :] for i, ch in enumerate(term) if ch in LONG_VOWELS}
        return max(matches, key=lambda c: (c in vowel_dropped, self._doc_freqs[c], c))

    def _rare_slip(self, term: str) -> str | None:
        """A corpus term seen only a few times (قتلو, a slip that also occurs in some article) read as
        the common term one long vowel shorter (قتل), when that one is far more frequent."""
        seen = self._doc_freqs[term]
        if seen > RARE_SLIP_MAX:
            return None
        dropped = [term[:i] + term[i + 1 :] for i, ch in enumerate(term) if ch in LONG_VOWELS]
        known = [c for c in dropped if len(c) >= MIN_BARE and self._doc_freqs.get(c, 0) >= RARE_SLIP_RATIO * seen]
        return max(known, key=lambda c: (self._doc_freqs[c], c)) if known else None

    def without_proclitic(self, term: str) -> str | None:
        if len(term) < MIN_BARE + 1 or term[0] not in PROCLITICS or not term.isalpha():
            return None
        needed = PROCLITIC_RATIO * (self._doc_freqs.get(term, 0) + 1)
        for bare in bare_readings(term):
            if self._doc_freqs.get(bare, 0) >= needed:
                return bare
        return None

    def _near(self, term: str) -> list[str]:
        """edits1(term) ∩ the vocabulary, for a small vocabulary: two strings one edit apart (a letter
        dropped, added, replaced, or two swapped) always share a string with one letter deleted, so
        the terms are indexed by those deletions once (SymSpell's idea) and only a few are checked."""
        if self._deletions is None:
            table: dict[str, list[str]] = {}
            for word in self._doc_freqs:
                for variant in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
                    table.setdefault(variant, []).append(word)
            self._deletions = table
        letters = LATIN_LETTERS if term[:1].isascii() else ARABIC_LETTERS
        keys = {term, *(term[:i] + term[i + 1 :] for i in range(len(term)))}
        found = {c for k in keys for c in self._deletions.get(k, ())}
        return [c for c in found if one_edit(term, c, letters)]

    def correct_all(self, terms: Iterable[str]) -> dict[str, str]:
        fixes = {}
        for term in terms:
            fixed = self.correct(term)
            if fixed is not None:
                fixes[term] = fixed
        return fixes


def bare_readings(term: str) -> tuple[str, ...]:
    """`term` without its first letter, as it stands and stemmed again: with the proclitic on, the
    stemmer could not see the word's own shape (بتعزيز: the bare تعزيز is indexed as عزز)."""
    bare = term[1:]
    again = stem(bare)
    return (bare,) if again == bare else (bare, again)


def is_guess(term: str, fixed: str) -> bool:
    """Whether reading `term` as `fixed` was a spelling guess (not just a proclitic taken off)."""
    return not (term[:1] in PROCLITICS and fixed in bare_readings(term))
