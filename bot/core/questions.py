"""A question as the bot takes it: cut to a sane length, refused when there is nothing to look up."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from retrieval import Reply

# Questions are cut to this length before analysis: no real question is longer, and a pasted
# 10,000-character message must not cost the other users time.
MAX_QUESTION_CHARS = 500


class Refusal(Enum):
    EMPTY = "empty"  # nothing but spaces, punctuation or emoji
    NOT_ARABIC = "not_arabic"  # words, but none in Arabic script


@dataclass(frozen=True)
class Asked:
    """What came of a question: a Reply, or why it was not looked up; `truncated` if it was cut.

    In a conversation (issue 17): `talk`, the small talk kinds («السلام عليكم»: salam) when the
    message was only small talk (no reply then); `topic`, the previous turn's topic a follow-up was
    read with; `more`, the question packed for the "more" button; `rows`, each answer's article row
    in storage (the "source" buttons), None where unknown."""

    reply: Reply | None
    refusal: Refusal | None = None
    truncated: bool = False
    talk: tuple[str, ...] = ()
    topic: str = ""
    more: str = ""
    rows: tuple[int | None, ...] = ()


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_question(text: str) -> str:
    """Lone surrogates (bytes that were not UTF-8, decoded with surrogateescape) become U+FFFD: they
    cannot be stored or sent, and no question needs them."""
    return _SURROGATE.sub("\ufffd", text)


def cut_question(text: str) -> tuple[str, bool]:
    """The question as it is looked up, the bot and `newsbot ask` alike: its first MAX_QUESTION_CHARS
    characters, trimmed; and whether anything was cut."""
    return text[:MAX_QUESTION_CHARS].strip(), len(text) > MAX_QUESTION_CHARS


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith(("L", "N")) for ch in text)


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufefc" for ch in text)


def check_question(text: str) -> Refusal | None:
    if not _has_letters(text):
        return Refusal.EMPTY
    if not _has_arabic(text):
        return Refusal.NOT_ARABIC
    return None
