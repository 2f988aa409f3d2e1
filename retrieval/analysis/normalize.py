"""Step 1 of the analyzer: fold the spelling variants that Arabic writers use interchangeably.

Modelled on Lucene's ArabicNormalizer. pyarabic's `normalize_alef`/`normalize_hamza` are avoided on
purpose: they map ى to ا and hamzas to ء, which would stop أ/ا and ى/ي from matching each other.

Linear in the length of the text, whatever the text: NFKC sorts each run of combining marks by
insertion, so a page carrying 100,000 mixed diacritics in a row took 24 s. Runs longer than any
real text has are cut first (Unicode's stream-safe bound, UAX #15), after dropping the marks the
fold strips anyway, so the result only differs on such runs, and even there rarely.
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


@lru_cache(maxsize=1)
def _mark_run_candidates() -> re.Pattern[str]:
    """More than MAX_MARK_RUN characters in a row that may be combining marks, built once (~10 ms).

    The class is the BMP's combining marks plus every astral character: a class with the few astral
    marks listed one by one makes the regex engine test each range in turn, 15 times slower on news
    text. A candidate is then checked character by character (`_cut_runs`).
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    members = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(f"[{members}\U00010000-\U0010FFFF]{{{MAX_MARK_RUN + 1},}}")


def _cut_runs(candidate: re.Match[str]) -> str:
    out: list[str] = []
    run: list[str] = []
    for ch in candidate.group():
        if unicodedata.combining(ch):
            run.append(ch)
            continue
        if run:
            out.append("".join(run).translate(_STRIPPED)[:MAX_MARK_RUN])
            run = []
        out.append(ch)
    if run:
        out.append("".join(run).translate(_STRIPPED)[:MAX_MARK_RUN])
    return "".join(out)


def bound_mark_runs(text: str) -> str:
    """`text` with every run of combining marks cut to MAX_MARK_RUN (diacritics dropped first)."""
    return _mark_run_candidates().sub(_cut_runs, text)


def normalize(text: str) -> str:
    """Return `text` with Arabic orthographic variants folded; punctuation is left to the tokenizer."""
    # NFKC first: presentation forms (ﻻ, ﺍ…) from PDFs and old sites become base letters, and a
    # decomposed hamza (و + ٔ) becomes the letter (ؤ) before the marks are stripped.
    text = unicodedata.normalize("NFKC", bound_mark_runs(text))
    return text.translate(_FOLD).casefold()
