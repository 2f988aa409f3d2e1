"""Roots of index terms: a question word met in another derivation of its root (حمولة ~ تحمل ~ محملة).

The light stemmer keeps derivations apart on purpose (كتاب, مكتب and كاتب share a root and differ in
meaning), so roots never index anything. The answer rerank reads them as weaker evidence: a question
term a candidate lacks, but whose root one of the candidate's terms has, counts at a discount
(retrieval/answering/rerank.py). News paraphrases a question this way all the time (التعويضات /
تحملتها, اعترضتها / اعتراض, مددوا / بتمديد), and the root also sees under the one-letter proclitics the
light stemmer leaves on (لجامعة, بتمديد, لمركز).

Roots come from the ISRI stemmer (Taghva, Elkhoury and Coombs 2005: Arabic stemming without a root
dictionary), as NLTK implements it; it keeps no state between words, so threads share one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache

# Two-letter "roots" are what is left of short words (سنة → سن): they would join unrelated ones.
MIN_ROOT = 3
# A longer term is no Arabic word (ISRI stems words of 4-7 letters once it has taken off up to three
# letters of prefix and three of suffix): it has no root, and its look-up stays bounded.
MAX_TERM = 15
# Only terms written in Arabic letters (after normalization) have a root; numbers and Latin have none.
_ARABIC = re.compile(r"[\u0621-\u064A]+")


@lru_cache(maxsize=1)
def _isri() -> Callable[[str], str]:
    """ISRI's stem, for terms that went through the analyzer: its normalization (diacritics off, an
    initial hamza as bare alif) is done already, and skipping its two regex passes makes it ~3x faster.
    NLTK is imported on first use (0.3 s): processes that never rank, like the ingest's analysis
    workers, never load it."""
    from nltk.stem.isri import ISRIStemmer

    class NormalizedISRI(ISRIStemmer):  # type: ignore[misc]
        def norm(self, word: str, num: int = 3) -> str:
            return word

    return NormalizedISRI().stem  # type: ignore[no-any-return]


def _worked_out(term: str) -> str | None:
    if len(term) > MAX_TERM or not _ARABIC.fullmatch(term):
        return None
    found = _isri()(term)
    return found if len(found) >= MIN_ROOT else None


@lru_cache(maxsize=4096)
def root(term: str) -> str | None:
    """The root of an index term (a stem of the analyzer), or None when it has none worth matching."""
    return _worked_out(term)


# In a table: a term without a root, and one not worked out yet.
_NONE = -1
_UNREAD = -2


class RootTable:
    """The root of every term of an append-only term list (an index's vocabulary), as a small integer,
    kept once worked out: a question reads its ~20 candidates' ~500 terms, which then costs a list
    lookup each instead of a root look-up. Terms are worked out ahead (`read_all`, when an index is
    built), or when first read if added since. Safe to share between threads: the table only grows,
    under the lock, and an entry is only ever set to the one root id of its term."""

    def __init__(self, terms: Sequence[str]) -> None:
        self._terms = terms
        self._of: list[int] = []  # by term id
        self._ids: dict[str, int] = {}
        self._read_to = 0  # read_all has worked out every term below this id (a refresh adds a few)
        self._lock = threading.Lock()  # the table grows, and root ids are handed out, one thread at a time

    def read_all(self) -> None:
        """Work out the root of every term not read yet (before an index's questions: ~5 µs a term,
        0.45 s for the news corpus's 90k terms, then only the terms each refresh adds)."""
        table = self._grown()
        start, self._read_to = self._read_to, len(table)
        for i in range(start, len(table)):
            if table[i] == _UNREAD:
                table[i] = self._root_id(_worked_out(self._terms[i]))

    def id_of(self, root_: str) -> int | None:
        """The id of a root some term read so far has, else None (a question's roots get no id of their
        own: questions are many and their words anything, the roots of a vocabulary are bounded)."""
        return self._ids.get(root_)

    def held(self, term_ids: Collection[int], wanted: Collection[int]) -> set[int]:
        """Those of the root ids `wanted` that one of the terms `term_ids` has."""
        table = self._grown()
        read = {table[i] for i in term_ids}
        if _UNREAD in read:  # a term added since the last read_all: work it out now
            for i in term_ids:
                if table[i] == _UNREAD:
                    table[i] = self._root_id(_worked_out(self._terms[i]))
            read = {table[i] for i in term_ids}
        return read.intersection(wanted)

    def _grown(self) -> list[int]:
        """The table, with an entry for every term of the list as it stands."""
        table = self._of
        if len(table) < len(self._terms):
            with self._lock:  # checked again inside: two threads must not both add the missing entries
                missing = len(self._terms) - len(table)
                if missing > 0:
                    table.extend([_UNREAD] * missing)
        return table

    def _root_id(self, root_: str | None) -> int:
        if root_ is None:
            return _NONE
        found = self._ids.get(root_)
        if found is None:
            with self._lock:
                found = self._ids.setdefault(root_, len(self._ids))
        return found
