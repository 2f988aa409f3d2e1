"""Expected answer type of a question (who / when / how many) and whether a sentence offers one.

Classic factoid QA: a "when" question is answered by a sentence holding a date, a "how many" one
by a number, a "who" one by a name. Among sentences that match a question about equally well, the
one that holds the kind of thing asked for is the better answer.
"""

from __future__ import annotations

import re
from enum import Enum

from retrieval.analysis.analyzer import term, words as normalized_words
from retrieval.analysis.normalize import normalize


class AnswerType(Enum):
    WHO = "who"
    WHEN = "when"
    HOW_MANY = "how_many"


_WHO = {"من", "مين", "منو"}
_WHEN = {"متي", "امتي", "متين", "امتا"}
_HOW_MANY = {"كم", "كام", "قديش", "اديش", "قداش"}
_WHEN_NOUNS = {"عام", "سنه", "تاريخ", "يوم", "شهر"}

_MONTHS_AND_DAYS = {
    normalize(w)
    for w in (
        "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
        "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين "
        "السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة أمس اليوم غدا صباح مساء"
    ).split()
}
_NUMBER_WORDS = {
    normalize(w)
    for w in (
        "واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثمانية تسع تسعة عشر عشرة "
        "عشرات عشرين ثلاثين أربعين خمسين مئة مائة مئات ألف آلاف مليون ملايين مليار"
    ).split()
}
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")


def answer_type(question: str) -> AnswerType | None:
    words = normalized_words(question)
    if not words:
        return None
    if words[0] in _WHO or (words[0] in {"و"} and len(words) > 1 and words[1] in _WHO):
        return AnswerType.WHO
    if any(w in _WHEN for w in words) or (any(w in {"اي", "باي", "في"} for w in words[:2]) and any(w in _WHEN_NOUNS for w in words[:3])):
        return AnswerType.WHEN
    if any(w in _HOW_MANY for w in words[:2]):
        return AnswerType.HOW_MANY
    return None


def offers(sentence: str, kind: AnswerType, question_terms: frozenset[str] | set[str]) -> bool:
    """Whether `sentence` holds something of the kind asked for, beyond the question's own words."""
    words = normalized_words(sentence)
    if kind is AnswerType.WHEN:
        return any(_YEAR.match(w) or w in _MONTHS_AND_DAYS or _strip_al(w) in _MONTHS_AND_DAYS for w in words)
    if kind is AnswerType.HOW_MANY:
        return any(w.isdigit() or w in _NUMBER_WORDS or _strip_al(w) in _NUMBER_WORDS for w in words)
    # WHO: a title the question names, followed at once by a word the question does not have,
    # is how news writes "وزير الخارجية فلان" — the apposition that names the person.
    terms = [term(w) for w in words]  # None for a stopword
    for i in range(len(words) - 1):
        if terms[i] in question_terms and terms[i + 1] is not None and terms[i + 1] not in question_terms:
            if words[i + 1].isalpha() and not words[i + 1].startswith("ال"):
                return True
    return False


def _strip_al(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 4 else word
