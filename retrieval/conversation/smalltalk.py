"""Small talk, told by a closed list of phrases (MSA and the dialects) read through the analyzer chain.

A message is small talk when it is made only of listed phrases (and a few fillers: يا، أخي، بوت…):
«السلام عليكم»، «شكرا جزيلا يا بوت»، «هلااا». A greeting or a thanks glued to a question
(«السلام عليكم، كم طول قناة السويس؟») is cut off and the question is what remains. The decision never
depends on the news: «أهلا» is a greeting whether or not some article mentions الأهلي.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from retrieval.analysis.analyzer import words


class Talk(Enum):
    SALAM = "salam"  # السلام عليكم → وعليكم السلام
    GREETING = "greeting"
    MORNING = "morning"
    EVENING = "evening"
    HOW_ARE_YOU = "how_are_you"
    THANKS = "thanks"
    BLESSING = "blessing"  # يعطيك العافية، تسلم → الله يعافيك
    BYE = "bye"
    WHO_ARE_YOU = "who_are_you"
    WHAT_CAN_YOU_DO = "what_can_you_do"
    ACK = "ack"  # تمام، طيب، ok


# The closed list. `|` separates phrases; each is read by the analyzer's first stages (normalize,
# tokenize), so «أهلاً» and «اهلا», «مشكورة» and «مشكوره» are one phrase.
_PHRASES: dict[Talk, str] = {
    Talk.SALAM: "السلام عليكم|سلام عليكم|السلام عليكم ورحمة الله|السلام عليكم ورحمة الله وبركاته|سلام عليكو"
    "|عليكم السلام|وعليكم السلام|وعليكم السلام ورحمة الله|سلام|السلام",
    Talk.GREETING: "مرحبا|مرحبتين|مراحب|أهلا|اهلين|أهلا وسهلا|أهلا بك|أهلا فيك|هلا|هلا والله|هلا بك|هلا فيك|يا هلا"
    "|هاي|هلو|هالو|الو|سلامات|حياك|حياك الله|الله يحييك|hi|hello|hey|salam|marhaba",
    Talk.MORNING: "صباح الخير|صباحو|صباح النور|صباح الورد|صباح الفل|صباح الخيرات|صباحك خير|يسعد صباحك|good morning",
    Talk.EVENING: "مساء الخير|مسا الخير|مساء النور|مسا النور|مساء الورد|مساء الفل|مساك خير|يسعد مساك|good evening",
    Talk.HOW_ARE_YOU: "كيف حالك|كيف الحال|كيفك|كيف انت|شلونك|شلونكم|شلون الحال|ازيك|عامل ايه|عامل إيه|شخبارك"
    "|شو اخبارك|كيف صحتك|لاباس|لا باس عليك|واش راك|كي داير|كيف امورك|how are you",
    Talk.THANKS: "شكرا|شكرا لك|شكرا جزيلا|شكرا كتير|شكرا كثير|ألف شكر|الف شكر|مشكور|مشكورة|مشكورين|متشكر|متشكرين"
    "|ممنون|ميرسي|ما قصرت|ماقصرت|جزاك الله خير|جزاك الله خيرا|الله يجزاك خير|بارك الله فيك|thanks|thank you|thx|merci",
    Talk.BLESSING: "يعطيك العافية|الله يعطيك العافية|تسلم|تسلمي|تسلم ايدك|تسلم يدك|تسلم إيديك|يسلمو|يسلموا"
    "|يسلمو ايديك|الله يسلمك|الله يخليك|عوافي",
    Talk.BYE: "باي|باي باي|يلا باي|مع السلامة|إلى اللقاء|الى اللقاء|في أمان الله|بأمان الله|تصبح على خير"
    "|تصبحون على خير|أشوفك بعدين|نلتقي لاحقا|سلام عليكم ورحمة الله|bye|goodbye",
    Talk.WHO_ARE_YOU: "من أنت|مين أنت|أنت مين|انت مين|منو انت|شكون نتا|شو انت|ايش انت|وش انت|من تكون|مين حضرتك"
    "|عرف بنفسك|عرفني بنفسك|ما اسمك|شو اسمك|وش اسمك|ايش اسمك|اسمك ايه|who are you",
    Talk.WHAT_CAN_YOU_DO: "شو بتعمل|شو بتسوي|شو تعمل|ماذا تفعل|ماذا تعمل|ماذا تستطيع|ماذا تستطيع أن تفعل"
    "|ماذا يمكنك أن تفعل|شو بتقدر تعمل|ايش تسوي|وش تسوي|وش تقدر تسوي|ايش تقدر تسوي|بتعمل ايه|بتعمل إيه"
    "|كيف أستخدمك|كيف استعملك|ساعدني|مساعدة|help",
    Talk.ACK: "تمام|طيب|اوكي|أوكي|اوك|حسنا|ماشي|ممتاز|رائع|جميل|حلو|زين|عظيم|تمام التمام|ok|okay",
}
# Said only alone: a news word too (سلام: peace), or a word that opens a question («طيب، ومتى؟»).
_ALONE_ONLY = frozenset({"سلام", "السلام", "تمام", "طيب", "حسنا", "ماشي", "ممتاز", "رائع", "جميل", "حلو", "زين",
                         "عظيم", "مساعدة", "ساعدني", "help", "الو"})
# Words that may sit beside a phrase without making the message anything else («شكرا جزيلا يا بوت»).
_FILLERS = "يا و بوت البوت أخي اخوي حبيبي صديقي عزيزي غالي الغالي يا غالي استاذ جدا كتير كثير وايد لك ليك عليك كمان"
# Letters typed over and over for warmth («هلااااا»، «شكرااا»): three or more count once.
_ELONGATION = re.compile(r"(\w)\1{2,}")


def _tokens(text: str) -> list[str]:
    return [_ELONGATION.sub(r"\1", w) for w in words(text)]


@dataclass(frozen=True)
class _Phrase:
    tokens: tuple[str, ...]
    kind: Talk
    alone_only: bool


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, list[_Phrase]], frozenset[str]]:
    """First token -> the phrases starting with it, longest first; and the fillers."""
    by_first: dict[str, list[_Phrase]] = {}
    alone = {tuple(_tokens(p)) for p in _ALONE_ONLY}
    for kind, listed in _PHRASES.items():
        for phrase in listed.split("|"):
            tokens = tuple(_tokens(phrase))
            if tokens:
                by_first.setdefault(tokens[0], []).append(_Phrase(tokens, kind, tokens in alone))
    for phrases in by_first.values():
        phrases.sort(key=lambda p: -len(p.tokens))
    return by_first, frozenset(_tokens(_FILLERS))


@dataclass(frozen=True)
class SmallTalk:
    """What small talk a message holds: its kinds in order, and the question left once it is cut
    off (empty when the whole message is small talk)."""

    kinds: tuple[Talk, ...]
    rest: str

    @property
    def only(self) -> bool:
        return not self.rest


# A surface word of the original text, to cut it where the small talk ends.
_SURFACE = re.compile(r"[^\W_]+(?:[\u0610-\u061A\u064B-\u065F\u0670\u0640][^\W_]*)*")


def _run(tokens: list[str], at: int, *, alone: bool) -> tuple[int, list[Talk]]:
    """How many tokens from `at` a run of phrases and fillers covers (0 unless it holds a phrase),
    with the kinds of its phrases. `alone`: the run is the whole message (alone-only phrases count)."""
    by_first, fillers = _table()
    i, kinds, end = at, [], at
    while i < len(tokens):
        found = next(
            (p for p in by_first.get(tokens[i], ()) if tuple(tokens[i : i + len(p.tokens)]) == p.tokens
             and (alone or not p.alone_only)),
            None,
        )
        if found is not None:
            i += len(found.tokens)
            kinds.append(found.kind)
            end = i
        elif tokens[i] in fillers:
            i += 1
            if kinds:
                end = i
        else:
            break
    return (end - at if kinds else 0), kinds


def small_talk(text: str) -> SmallTalk | None:
    """The small talk in `text`, or None when it holds none (a plain question)."""
    surface = [(m.start(), m.end(), _tokens(m.group())) for m in _SURFACE.finditer(text)]
    tokens = [t for _, _, ts in surface for t in ts]
    if not tokens or len(tokens) > 40:  # a long message is not a greeting, whatever it opens with
        return None
    covered, kinds = _run(tokens, 0, alone=True)
    if covered == len(tokens):
        return SmallTalk(tuple(dict.fromkeys(kinds)), "")
    # Glued to a question: a greeting before it, a thanks after it («..., شكرا»).
    lead, lead_kinds = _run(tokens, 0, alone=False)
    tail, tail_kinds = 0, []
    for start in range(lead + 1, len(tokens)):
        n, k = _run(tokens, start, alone=False)
        if n and start + n == len(tokens):
            tail, tail_kinds = n, k
            break
    if not lead and not tail:
        return None
    # Map token positions back to the text: the question is what lies between the two runs.
    ends, starts, count = [], [], 0
    for start, end, ts in surface:
        for _ in ts:
            starts.append(start)
            ends.append(end)
            count += 1
    first, last = lead, len(tokens) - tail - 1
    # Up to the end of the text when nothing trails: the question keeps its own punctuation.
    rest = text[starts[first] : ends[last] if tail else len(text)].strip()
    return SmallTalk(tuple(dict.fromkeys(lead_kinds + tail_kinds)), rest)
