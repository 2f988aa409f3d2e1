"""Step 1 of the analyzer: fold the spelling variants that Arabic writers use interchangeably.

Modelled on Lucene's ArabicNormalizer. pyarabic's `normalize_alef`/`normalize_hamza` are avoided on
purpose: they map ى to ا and hamzas to ء, which would stop أ/ا and ى/ي from matching each other.
"""

from __future__ import annotations

import unicodedata

from pyarabic import araby

# One table so normalization is a single pass over the text after the diacritic strip.
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


def normalize(text: str) -> str:
    """Return `text` with Arabic orthographic variants folded; punctuation is left to the tokenizer."""
    # NFKC first: presentation forms (ﻻ, ﺍ…) from PDFs and old sites become base letters.
    text = unicodedata.normalize("NFKC", text)
    text = araby.strip_diacritics(araby.strip_tatweel(text))
    return text.translate(_FOLD).casefold()
