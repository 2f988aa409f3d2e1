"""Step 4 of the analyzer: light stemming (Larkey's light10, as Lucene's ArabicStemmer applies it).

Light stemming strips the article, the conjunction و and common inflectional suffixes; it never
reaches for roots, which would conflate unrelated words (كتاب, مكتب, كاتب) and hurt precision.
Input must already be normalized (ة→ه, ى→ي), so only the folded forms are listed.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

ARTICLES: tuple[str, ...] = ("ال", "وال", "بال", "كال", "فال", "لل")
# Attached pronouns beyond light10's ها/ه (their, your, our): +0.003 Hit@3 on XQuAD-ar.
PRONOUNS: tuple[str, ...] = ("هما", "هم", "كم", "نا")
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "وا", "ا", "ي")
# The past-tense feminine ت (دمرت ~ دمر, قالت ~ قال), taken last: +0.002 Hit@1 on XQuAD-ar.
VERB_SUFFIX = "ت"
CONJUNCTION = "و"
# An object pronoun after a plural verb's و (its alif is dropped before the pronoun): اشتروه, قتلوه,
# شافوها, اعتقلوهم, اعطوكم. Both go, so the verb meets the news's اشتروا / اشترى (stem اشتر). نا is left
# out: after و it is mostly a noun's accusative (قانونا, مضمونا), not ساعدونا.
PLURAL_OBJECTS: tuple[str, ...] = ("وهما", "وهم", "وها", "وكم", "وه")
# A final و of a longer name (كوسوفو, تورنتو) goes, so the name meets its adjective (الكوسوفي).
FINAL_WAW_MIN_LENGTH = 5

LONG_VOWELS = "اوي"

# A stem keeps at least this many letters: shorter remnants are mostly ambiguous.
MIN_STEM = 2
# The conjunction, pronouns and ت go only when three letters stay: و is also the first letter of many
# roots (وضع, وطن), and ت or نا the last letters of many words (وقت, بيت, هنا).
MIN_STEM_STRICT = 3


def strip_article(word: str) -> str:
    """Remove at most one article form, the first listed one that leaves a long enough stem."""
    for prefix in ARTICLES:
        if word.startswith(prefix) and len(word) >= len(prefix) + MIN_STEM:
            return word[len(prefix):]
    return word


def _strip(word: str, suffix: str, min_stem: int) -> str:
    if word.endswith(suffix) and len(word) >= len(suffix) + min_stem:
        return word[: -len(suffix)]
    return word


def strip_plural_object(word: str) -> str:
    """A plural verb with an object pronoun (اعتقلوهم) read as its stem (اعتقل). Three letters must
    stay besides a leading و (the conjunction is taken later) and no alif stand before the و: nouns in
    ـوة (ندوة, وخطوة, وشبوة, إخوة) are too short to qualify, علاوة and تلاوة keep their و. Nor is a
    مفعول of a root ending in ه read so (مكروه, مشبوه: م and two letters), the news's commonest such
    shape."""
    for suffix in PLURAL_OBJECTS:
        if word.endswith(suffix):
            bare = word[: -len(suffix)]
            core = bare.removeprefix(CONJUNCTION)
            passive_participle = len(core) == MIN_STEM_STRICT and core[0] == "م"
            if len(core) >= MIN_STEM_STRICT and bare[-1] != "ا" and not passive_participle:
                return bare
            return word
    return word


def strip_suffixes(word: str) -> str:
    """Remove attached pronouns, then each light10 suffix in turn, then a verb's ت, keeping a stem."""
    bare = strip_plural_object(word)
    if bare != word:
        return bare
    for suffix in PRONOUNS:
        word = _strip(word, suffix, MIN_STEM_STRICT)
    for suffix in SUFFIXES:
        word = _strip(word, suffix, MIN_STEM)
    return _strip(word, VERB_SUFFIX, MIN_STEM_STRICT)


def strip_conjunction(word: str) -> str:
    """Remove a leading و last, so وزير, الوزير and والوزير all meet in one stem (light10 splits them)."""
    if word.startswith(CONJUNCTION) and len(word) > MIN_STEM_STRICT:
        return word[1:]
    return word


def strip_final_waw(word: str) -> str:
    if word.endswith(CONJUNCTION) and len(word) >= FINAL_WAW_MIN_LENGTH:
        return word[:-1]
    return word


def verbal_noun_to_verb(stem: str) -> str:
    """The verbal noun of a doubled (form II) verb read as the verb: تمديد ~ مدد, تصحيح ~ صحح,
    تفجير ~ فجر. News reports the event with the noun ("تمديد تكليفه") and people ask with the verb
    ("مددوا له؟"). Only the plain تفعيل shape, three strong letters around the ي, is read so (+1 on
    the news dev set, XQuAD-ar unchanged; see BENCHMARKS.md)."""
    if len(stem) == 5 and stem[0] == "ت" and stem[3] == "ي" and not any(c in LONG_VOWELS for c in stem[1:3] + stem[4]):
        return stem[1:3] + stem[4]
    return stem


def _light_stem(word: str) -> str:
    return verbal_noun_to_verb(strip_conjunction(strip_suffixes(strip_final_waw(strip_article(word)))))


@lru_cache(maxsize=1)
def irregular_nisba() -> dict[str, str]:
    """Stem of an irregular adjective → stem of its country (resources/nisba_ar.txt)."""
    from retrieval.analysis.normalize import normalize

    text = resources.files("retrieval.resources").joinpath("nisba_ar.txt").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        names = normalize(line).split()
        if names and not line.lstrip().startswith("#"):
            country = _light_stem(names[0])
            table.update({_light_stem(adjective): country for adjective in names[1:]})
    return table


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    if not word.isalpha():
        return word  # numbers and mixed tokens (1993, covid19) are kept whole
    stemmed = _light_stem(word)
    return irregular_nisba().get(stemmed, stemmed)
