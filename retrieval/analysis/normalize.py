"""Step 1 of the analyzer: fold the spelling variants that Arabic writers use interchangeably.

Modelled on Lucene's ArabicNormalizer. pyarabic's `normalize_alef`/`normalize_hamza` are avoided on
purpose: they map ى to ا and hamzas to ء, which would stop أ/ا and ى/ي from matching each other.

Linear in the length of the text, whatever the text. NFKC decomposes, then sorts each run of
non-starters (combining marks, once decomposed) by insertion: a page carrying 100,000 mixed
diacritics in a row took 24 s, and 100,000 U+0F73 took 31 s to ingest (not a mark itself, but NFKC
splits it into two). So runs are measured on the decomposition (each character counts the
non-starters it decomposes into) and cut at Unicode's stream-safe bound (UAX #15) before NFKC, after
dropping the marks the fold strips anyway; no real text comes near the bound, only such runs change.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pyarabic import araby

# UAX #15 "stream-safe text": no real text needs more than 30 combining marks on one letter.
MAX_MARK_RUN = 30

# The marks and the tatweel that the fold removes (pyarabic's lists, so the set stays theirs).
_STRIPPED = {ord(ch): None for ch in (*araby.DIACRITICS, araby.TATWEEL)}

# One table so normalization is a single pass over the text after NFKC.
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",  # alef wasla
        "ى": "ي",
        "ی": "ي",  # Persian yeh, common in text pasted from Persian keyboards
        "ک": "ك",  # Persian keheh
        "ة": "ه",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
        "٫": ".",  # Arabic decimal separator
        "٬": ",",  # Arabic thousands separator
    }
)
_FOLD.update(_STRIPPED)


def _starts_with_mark(ch: str) -> bool:
    """Whether `ch` decomposes (NFKD) to a non-starter first: a combining mark, or one of the few
    characters that are none but decompose into marks (U+0F73, U+0F75, U+0F81, U+FF9E, U+FF9F)."""
    return bool(unicodedata.combining(ch)) or bool(
        unicodedata.decomposition(ch) and unicodedata.combining(unicodedata.normalize("NFKD", ch)[0])
    )


@lru_cache(maxsize=1)
def _mark_run_candidates() -> re.Pattern[str]:
    """More than MAX_MARK_RUN characters in a row that may start a run of non-starters once
    decomposed, built once (~20 ms).

    The class is the BMP's characters whose decomposition starts with a mark, plus every astral
    character: a class with the few astral marks listed one by one makes the regex engine test each
    range in turn, 15 times slower on news text. A candidate is then measured character by character
    on its decomposition (`_cut_runs`).
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if _starts_with_mark(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    members = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(f"[{members}\U00010000-\U0010FFFF]{{{MAX_MARK_RUN + 1},}}")


@lru_cache(maxsize=4096)
def _decomposed(ch: str) -> tuple[bool, int]:
    """`ch` decomposed (NFKD): whether it is non-starters only, and how many non-starters end it."""
    marks = [bool(unicodedata.combining(d)) for d in unicodedata.normalize("NFKD", ch)]
    starters = len(marks)
    while starters and marks[starters - 1]:
        starters -= 1
    return starters == 0, len(marks) - starters


def _cut_runs(candidate: re.Match[str]) -> str:
    """The candidate with no more than MAX_MARK_RUN non-starters in a row once decomposed: a
    character that decomposes into marks only is dropped when it would carry the run past the bound
    (diacritics the fold strips are dropped first); one holding a starter starts a new run."""
    out: list[str] = []
    run = 0  # non-starters in a row, counted on the decomposition
    for ch in candidate.group().translate(_STRIPPED):
        marks_only, trailing = _decomposed(ch)
        if not marks_only:
            run = trailing
        elif run + trailing > MAX_MARK_RUN:
            continue
        else:
            run += trailing
        out.append(ch)
    return "".join(out)


def bound_mark_runs(text: str) -> str:
    """`text` with every run of non-starters (counted after decomposition) cut to MAX_MARK_RUN,
    diacritics the fold strips dropped first."""
    return _mark_run_candidates().sub(_cut_runs, text)


def normalize(text: str) -> str:
    """Return `text` with Arabic orthographic variants folded; punctuation is left to the tokenizer."""
    # NFKC first: presentation forms (ﻻ, ﺍ…) from PDFs and old sites become base letters, and a
    # decomposed hamza (و + ٔ) becomes the letter (ؤ) before the marks are stripped.
    text = unicodedata.normalize("NFKC", bound_mark_runs(text))
    return text.translate(_FOLD).casefold()
