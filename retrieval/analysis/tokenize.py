"""Step 2 of the analyzer: split normalized text into word tokens.

Every character that is not a letter or digit separates tokens, so Arabic punctuation
(، ؛ ؟ « » “ ” …) needs no list of its own.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")


def tokenize(normalized: str) -> list[str]:
    return _WORD.findall(normalized)
