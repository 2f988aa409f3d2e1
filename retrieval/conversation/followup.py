"""Whether a question has a topic of its own, or follows the previous turn («كم طولها؟»، «مين هو؟»).

A follow-up is a question word with a pronoun, a bare verb or an asked-for category and nothing else:
«كم طولها؟» (the length of it), «بكم اشتروه؟» (bought it), «في أي مطار؟» (which airport), «مين هو؟»,
«ومتى؟», «كم مخالفة سجلوا؟». Read in order:
- a leading «و», «طيب», «بس», «ثم» marks a continuation; «وماذا عن X؟» / «طيب و X؟» asks the previous
  question about X (a shift);
- the question word goes, and with «كم/أي/ما اسم» the noun that names what is asked (مطار، مخالفة);
- pronoun-suffixed words (طولها، بداله، عنها) and plural verbs (اعتقلوا، سجلو) point back: anaphors;
- stopwords and time words (أول يوم، الآن) name no topic;
what remains is the question's own topic. None left: a follow-up. One word left, after a continuation
or beside an anaphor («ومن كان الطيار؟»، «كم دفعوا لرونالدو؟»): a follow-up too, asked with that word
and the old topic. Anything more is a complete question and starts a new topic; so is a sentence
without a question word («حدثني عن …»). The rule is about the form of a question, never about the
news, so a complete question cannot be pulled towards the old topic by what the corpus holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyarabic import araby

from retrieval.analysis.analyzer import term, words

# Question words, standard and dialect (normalized as the analyzer writes them).
_ASK = frozenset(words(
    "ما ماذا شو شنو شنهو وش ايش اش واش إيه ايه من مين منو مينو شكون متى امتى إمتى ايمتى امتا متين وقتاش "
    "فوقاش أين اين وين فين لوين منين كيف كيفاش شلون ازاي إزاي ليش ليه لماذا علاش كم كام قديش اديش قداش "
    "شقد شكد شحال اشحال بكم بكام لكم هل أي اي لمين لمن لأي لاي بأي باي وشو"
))
# Question words whose next noun names what is asked (كم مخالفة، أي مطار), not a topic.
_ASK_CATEGORY = frozenset(words("كم كام قديش اديش قداش شقد شكد شحال اشحال بكم بكام لكم أي اي لأي لاي بأي باي"))
_NAME_NOUNS = frozenset(words("اسم عدد نوع حجم"))
_PREPOSITIONS = frozenset(words("في على من الى إلى عن مع ب ل لـ"))
_MARKERS = frozenset(words("طيب طب بس يعني ثم اذن إذن وبعدين طيب"))
_ABOUT = frozenset(words("عن بالنسبة بالنسبه"))
# Standalone pronouns and demonstratives: they point back only when nothing else is left («مين هو؟»),
# since «من هو أردوغان؟» is a complete question.
_PRONOUNS = frozenset(words("هو هي هم هما هن هذا هذه ذلك تلك ده دي دا هيدا هيدي هاد هادا هادي هذول هاذا"))
# Time and degree words ("on the first day", "now") say when or how much, not what about.
_GENERIC = frozenset(words(
    "يوم اليوم أمس امس غدا أول اول آخر اخر أخير اخير سنة عام شهر أسبوع اسبوع ساعة مرة وقت الآن الان حاليا "
    "بالضبط تقريبا فعلا بعد قبل شي شيء حاجة أكثر اكثر أكتر كمان أيضا ايضا تحديدا بالتحديد"
))
# Words that end in ه without it being a pronoun.
_NOT_SUFFIXED = frozenset(words("الله لله والله بالله اتجاه مياه وجه انتباه شبه فقه تنبيه توجيه رفاه اشتباه"))
# The words that introduce a complete question's topic («حدثني عن X»، «ماذا قالت التقارير عن X»).
_STORY_WORDS = frozenset(words(
    "أخبار اخبار خبر قصة موضوع تفاصيل جديد الجديد حدث حصل جرى صار قال قالت قالوا تقول يقول يقولون تقارير "
    "التقارير الأخبار الصحف المصادر حدثني احكيلي احكي اخبرني أخبرني خبرني قلي قل لي عرفني اشرح وضح "
    "تكلم كلمني أعطني اعطني معلومات"
))
# Adverbs of degree say nothing to look up («وين بالضبط؟»): a follow-up is looked up without them.
_DEGREE = frozenset(words("بالضبط بالظبط تحديدا بالتحديد تقريبا فعلا يعني بالزبط"))
# A preposition glued to «كم» is looked up as «كم» (the analyzer keeps «بكم» whole, a word the news
# never uses, which would weigh the most in the question).
_GLUED_HOW_MANY = {"بكم": "كم", "لكم": "كم", "بكام": "كام", "عكم": "كم"}
MAX_FOLLOW_UP_WORDS = 8
MAX_TOPIC_WORDS = 10
_SURFACE = re.compile(r"[^\W_]+(?:[\u0610-\u061A\u064B-\u065F\u0670\u0640][^\W_]*)*")


@dataclass(frozen=True)
class Reading:
    """A question as a turn of a conversation.

    `question`: what to look up (a leading «و» or «طيب» taken off). `follows`: it lacks its own topic
    and is read with the previous turn's. `own`: for a follow-up, the words it adds to the old topic
    («أرمينيا» in «وماذا عن أرمينيا؟», «الطيار» in «ومن كان الطيار؟»), empty when it adds none.
    `shift`: the follow-up asks the old question about `own` instead. `must`: the words of `own` an
    answer must hold (a name or a noun the follow-up adds is what it is about; a verb may be
    paraphrased, so a verb is not required).
    `topic`: for a complete question, the phrase naming its topic («قناة السويس الجديدة»).
    `maybe`: a complete question with one word of its own («كم عمر الطيار؟»): the previous story may
    answer it (then it should: «الطيار» is the one just talked about), else it stands alone.
    """

    question: str
    follows: bool
    own: str = ""
    shift: bool = False
    topic: str = ""
    must: str = ""
    maybe: bool = False


def _bare(word: str) -> str:
    """The surface word without marks and tatweel, its letters otherwise kept (ة stays ة)."""
    return araby.strip_tatweel(araby.strip_diacritics(word))


def _anaphor(surface: str, normalized: str) -> bool:
    """A word that points back: a pronoun suffix (طولها، بداله، عنها) or a plural verb (اعتقلوا، سجلو)."""
    bare = _bare(surface)
    if normalized in _NOT_SUFFIXED or len(bare) < 2:
        return False
    if bare.endswith(("ها", "هم", "هما", "هن")) and len(bare) >= 3:
        return True
    if bare.endswith("ه"):  # ه, not ة: the pronoun (بداله), not the feminine ending (مخالفة)
        return True
    if len(bare) >= 4 and bare.endswith("وا"):
        return True
    return len(bare) >= 4 and bare.endswith("و") and bare[0] in "يتنا"  # dialect plural verbs: سجلو


def _verb_like(surface: str, normalized: str) -> bool:
    """A bare verb: a past tense in ت (احترقت، أقلعت) or a present tense in ي/ت (يبلغ، تبعد). A guess
    by shape; a name shaped so («ترامب») is still asked with its own word required in the answer."""
    bare = _bare(surface)
    if _definite(normalized) or len(bare) < 4:
        return False
    return bare.endswith("ت") or bare[0] in "يت"


def _definite(word: str) -> bool:
    return any(word.startswith(p) and len(word) > len(p) + 1 for p in ("ال", "وال", "بال", "فال", "كال", "لل"))


def _surface_words(text: str) -> list[tuple[str, str, int, int]]:
    """(surface, normalized, start, end) for each word: normalized as the analyzer does."""
    out = []
    for m in _SURFACE.finditer(text):
        for w in words(m.group()):
            out.append((m.group(), w, m.start(), m.end()))
    return out


def _strip_waw(word: str) -> str | None:
    """A question word under the conjunction و («ومتى» → «متى»), else None."""
    if word.startswith("و") and word[1:] in _ASK | _MARKERS:
        return word[1:]
    return None


def topic_of(text: str) -> str:
    """The phrase naming a complete question's topic: what follows «عن» after story words only
    («حدثني عن X»، «ماذا قالت التقارير عن X»), else the question from its first word that is neither a
    question word, a stopword nor a story word («شو قصة الخلية المرتبطة بداعش» → «الخلية المرتبطة بداعش»)."""
    found = _surface_words(text)
    start = 0
    for i, (_, w, _, _) in enumerate(found):
        if w in _ABOUT and all(x in _ASK | _STORY_WORDS or term(x) is None for _, x, _, _ in found[:i]):
            start = i + 1
            break
    while start < len(found) and (found[start][1] in _ASK | _STORY_WORDS or term(found[start][1]) is None):
        start += 1
    kept = found[start : start + MAX_TOPIC_WORDS]
    return text[kept[0][2] : kept[-1][3]] if kept else ""


def read_question(text: str) -> Reading:
    found = _surface_words(text)
    if not found:
        return Reading(text, False)
    i, continuation = 0, False
    # Discourse markers and the conjunction: «طيب»، «و»، «ومتى»
    while i < len(found) and (found[i][1] in _MARKERS or found[i][1] == "و"):
        i, continuation = i + 1, True
    if i < len(found) and (plain := _strip_waw(found[i][1])) is not None:
        found[i] = (found[i][0][1:], plain, found[i][2] + 1, found[i][3])
        continuation = True
        if plain in _MARKERS:
            i += 1
    question = text[found[i][2]:].strip() if i < len(found) else text.strip()
    rest = found[i:]
    if not rest:
        return Reading(question, continuation)
    # «وماذا عن X؟»، «طيب وبالنسبة لـX؟»: the old question, about X.
    heads = [w for _, w, _, _ in rest[:2]]
    about = next((k for k, w in enumerate(heads) if w in _ABOUT), None)
    if about is not None and all(w in _ASK for w in heads[:about]) and (about > 0 or continuation):
        shifted = rest[about + 1 :]
        if shifted and shifted[0][1] in _PREPOSITIONS:
            shifted = shifted[1:]
        if shifted and len(shifted) <= MAX_TOPIC_WORDS:
            own = text[shifted[0][2] : shifted[-1][3]]
            return Reading(question, True, own=own, shift=True, must=own)
    asks = any(w in _ASK for _, w, _, _ in rest[:3])
    if not asks and continuation and len(rest) <= 3:
        own = text[rest[0][2] : rest[-1][3]]  # «وأرمينيا؟»، «طيب والسعودية؟»
        return Reading(question, True, own=own, shift=True, must=own)
    if not asks or len(rest) > MAX_FOLLOW_UP_WORDS:
        return Reading(question, False, topic=topic_of(question))
    own_words: list[tuple[str, str, int, int]] = []
    anaphor = pronoun = False
    skip_category = False
    for surface, w, start, end in rest:
        if w in _ASK:
            skip_category = w in _ASK_CATEGORY or skip_category
            continue
        if skip_category:
            skip_category = False
            if w not in _PREPOSITIONS and not _definite(w) and not _anaphor(surface, w):
                continue  # كم مخالفة، أي مطار: what is asked, not what about
        if w in _NAME_NOUNS:
            continue  # ما اسم، كم عدد
        if _anaphor(surface, w):
            anaphor = True
            continue
        if w in _PRONOUNS:
            pronoun = True
            continue
        if w in _PREPOSITIONS or w in _GENERIC or term(w) is None:
            continue
        own_words.append((surface, w, start, end))
    if not own_words:
        follows = True
    elif len(own_words) == 1:
        single = own_words[0]
        follows = continuation or (not _definite(single[1]) and (anaphor or _verb_like(single[0], single[1])))
    else:  # «وكم حالة في إقليم البنجاب؟»: two words after a continuation still lean on the last topic
        follows = continuation and len(own_words) == 2
    must = " ".join(surface for surface, w, _, _ in own_words if _required(surface, w))
    if not follows:
        return Reading(question, False, topic=topic_of(question), must=must, maybe=len(own_words) == 1 and bool(must))
    own = text[own_words[0][2] : own_words[-1][3]] if own_words else ""
    return Reading(_lookup(question), True, own=own, must=must)


def _lookup(question: str) -> str:
    """A follow-up as it is looked up: adverbs of degree out, «بكم» as «كم»."""
    kept = []
    for surface, w, _, _ in _surface_words(question):
        if w in _DEGREE:
            continue
        kept.append(_GLUED_HOW_MANY.get(w, surface))
    return " ".join(kept) + ("؟" if question.rstrip().endswith(("?", "؟")) else "")


def _required(surface: str, normalized: str) -> bool:
    """Whether an answer must hold this word a follow-up adds: a name or a definite noun («الطيار»،
    «كوباني»), not a verb nor a short word, which answers often say otherwise (وصل، جا)."""
    if normalized.isdigit():
        return True
    return _definite(normalized) or (len(_bare(surface)) >= 5 and not _verb_like(surface, normalized))
