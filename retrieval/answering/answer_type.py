"""Expected answer type of a question (who / when / where / how many / match result) and whether a
sentence offers one.

Classic factoid QA: a "when" question is answered by a sentence holding a date, a "how many" one
by a number, a "who" one by a name. Among sentences that match a question about equally well, the
one that holds the kind of thing asked for is the better answer.
"""

from __future__ import annotations

import re
from enum import Enum

from retrieval.analysis.analyzer import term, words as normalized_words
from retrieval.analysis.normalize import normalize
from retrieval.analysis.stopwords import bare_question_word


class AnswerType(Enum):
    WHO = "who"
    WHEN = "when"
    HOW_MANY = "how_many"
    WHERE = "where"
    RESULT = "result"  # the score of a match: "ما نتيجة مباراة ..."


# Types whose presence in a sentence can be told reliably (a number, a score): a best sentence without
# one does not answer, and abstention may rely on it. Names, dates and places are only a ranking hint.
CHECKABLE = frozenset({AnswerType.HOW_MANY, AnswerType.RESULT})


def _normalized(words: str) -> set[str]:
    return {normalize(w) for w in words.split()}


# Standard, then the dialects: Levantine, Gulf and Iraqi (منو، مينو، شقد), Egyptian (كام),
# Maghrebi (شكون، وقتاش، قداش، شحال).
_DIALECT_WHO = {"مين", "منو", "مينو", "شكون"}  # unlike "من", never the preposition "from"
_WHO = {"من", *_DIALECT_WHO}
_WHEN = _normalized("متى امتى إمتى ايمتى إيمتى امتا إيمتا متين وقتاش فوقاش")
# بكم/بكام: "for how much" asks for a price, a number as كم does.
_HOW_MANY = _normalized("كم كام قديش اديش قداش شقد شكد اشحال شحال بكم بكام")
# "ما عدد ..." / "ما آخر حصيلة ..." ask for a number as "كم" does.
_COUNT_NOUNS = {"عدد", "حصيله", "اجمالي", "مجموع"}
_WHEN_NOUNS = {"عام", "سنه", "تاريخ", "يوم", "شهر"}
_WHERE = {"اين", "وين", "فين", "لوين", "منين"}
# "ما اسم ..." / "وش اسم ..." / "شو اسمه" ask for a name, like "من".
_NAME = {"اسم", "اسمه", "اسمها", "اسمهم"}
_RESULT = {"نتيجه", "نتيجة"}
_MATCH = {"مباراه", "لقاء", "مواجهه", "نهائي", "ديربي", "كلاسيكو"}
_PLACE_CUES = _normalized("مدينة منطقة محافظة حي شارع قرية ولاية جزيرة عاصمة إقليم مقاطعة بلدة ميناء مطار قاعدة مركز مستشفى")
# 3-1, 3 - صفر, 3/0: one- or two-digit goals either side (dates and years have longer numbers).
_SCORE = re.compile(r"(?<![\d/])(?:\d{1,2}|صفر)\s*[-–/]\s*(?:\d{1,2}|صفر)(?![\d/])")
_GOAL_WORDS = _normalized("بهدف بهدفين هدف هدفين أهداف بثلاثية برباعية بخماسية التعادل تعادل السلبي")
_GREGORIAN_MONTHS = _normalized(
    "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين"
)
# What a "when" answer names: a month or a day.
_MONTHS_AND_DAYS = _GREGORIAN_MONTHS | _normalized(
    "السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة أمس اليوم غدا صباح مساء"
)
# A number next to a month of either calendar is a day of a date, not a count.
_MONTHS = _GREGORIAN_MONTHS | _normalized("محرم صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة")
_NUMBER_WORDS = _normalized(
    "واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثمانية تسع تسعة عشر عشرة "
    "عشرات عشرين ثلاثين أربعين خمسين مئة مائة مئات ألف آلاف مليون ملايين مليار مرتين"
)
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")
_YEAR_WORDS = _normalized("عام العام لعام بعام وعام عامي سنة السنة لسنة سنه")


def answer_type(question: str) -> AnswerType | None:
    # A follow-up's question word carries its conjunction («ومين؟», «فمتى؟», «وبكم؟»): read it bare.
    words = [bare_question_word(w) or w for w in normalized_words(question)]
    if not words:
        return None
    if words[0] in _WHO or (words[0] in {"و"} and len(words) > 1 and words[1] in _WHO):
        return AnswerType.WHO
    if any(w in _RESULT for w in words[:3]) and any(w.removeprefix("ال") in _MATCH or w in _MATCH for w in words):
        return AnswerType.RESULT
    if any(w in _WHERE for w in words[:3]):
        return AnswerType.WHERE
    if any(w in _NAME or w in _DIALECT_WHO for w in words[:3]):
        return AnswerType.WHO
    if any(w in _WHEN for w in words) or (any(w in {"اي", "باي", "في"} for w in words[:2]) and any(w in _WHEN_NOUNS for w in words[:3])):
        return AnswerType.WHEN
    if any(w in _HOW_MANY for w in words[:2]) or (words[0] in {"ما", "وش", "شو"} and any(w in _COUNT_NOUNS for w in words[1:3])):
        return AnswerType.HOW_MANY
    return None


def offers(sentence: str, kind: AnswerType, question_terms: frozenset[str] | set[str]) -> bool:
    """Whether `sentence` holds something of the kind asked for, beyond the question's own words."""
    words = normalized_words(sentence)
    if kind is AnswerType.WHEN:
        return any(_YEAR.match(w) or w in _MONTHS_AND_DAYS or _strip_al(w) in _MONTHS_AND_DAYS for w in words)
    if kind is AnswerType.HOW_MANY:
        # A number the question does not already hold ("في أغسطس 1977" is not the answer's number),
        # and no part of a date: a year, or a day next to its month ("يوم الأربعاء 12 أغسطس").
        return any(
            (w.isdigit() and w not in question_terms and not _in_date(words, i))
            or w in _NUMBER_WORDS
            or _strip_al(w) in _NUMBER_WORDS
            for i, w in enumerate(words)
        )
    if kind is AnswerType.RESULT:
        return bool(_SCORE.search(normalize(sentence))) or any(w in _GOAL_WORDS for w in words)
    if kind is AnswerType.WHERE:
        terms = [term(w) for w in words]
        return any(
            _strip_al(words[i]) in _PLACE_CUES and terms[i + 1] is not None and terms[i + 1] not in question_terms
            for i in range(len(words) - 1)
        )
    # WHO: a title the question names, followed at once by a word the question does not have,
    # is how news writes "وزير الخارجية فلان" — the apposition that names the person.
    terms = [term(w) for w in words]  # None for a stopword
    for i in range(len(words) - 1):
        if terms[i] in question_terms and terms[i + 1] is not None and terms[i + 1] not in question_terms:
            if words[i + 1].isalpha() and not words[i + 1].startswith("ال"):
                return True
    return False


def _in_date(words: list[str], i: int) -> bool:
    """Whether the number words[i] is a day or a year: next to a month name, or a year after "عام"
    (a bare 2000 may count guests, 1870 إلى 1939 a span)."""
    if any(0 <= j < len(words) and _strip_al(words[j]) in _MONTHS for j in (i - 1, i + 1)):
        return True
    return bool(_YEAR.match(words[i])) and i > 0 and words[i - 1] in _YEAR_WORDS


def _strip_al(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 4 else word

