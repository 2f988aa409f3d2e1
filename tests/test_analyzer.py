"""Each rule of the analyzer chain, table-driven: normalize → tokenize → stopwords → stem."""

from __future__ import annotations

import pytest

from retrieval.analysis import roots
from retrieval.analysis.analyzer import RootTable, analyze, term_root, term_spans
from retrieval.analysis.normalize import normalize
from retrieval.analysis.stem import stem, strip_article, strip_suffixes
from retrieval.analysis.stopwords import drop_stopwords, stopwords
from retrieval.analysis.tokenize import tokenize


@pytest.mark.parametrize(
    ("raw", "folded", "rule"),
    [
        ("أحمد", "احمد", "alef with hamza above"),
        ("إسلام", "اسلام", "alef with hamza below"),
        ("آمال", "امال", "alef with madda"),
        ("ٱلله", "الله", "alef wasla"),
        ("مستشفى", "مستشفي", "alef maksura to yeh"),
        ("مدرسة", "مدرسه", "teh marbuta to heh"),
        ("مُحَمَّدٌ", "محمد", "harakat, shadda, tanwin removed"),
        ("الرحمٰن", "الرحمن", "dagger alef removed"),
        ("دبـــابات", "دبابات", "tatweel removed"),
        ("١٩٩٣", "1993", "Arabic-Indic digits"),
        ("۲۰۲۴", "2024", "Persian digits"),
        ("ﻻ", "لا", "lam-alef ligature (presentation form)"),
        ("ﺍﻟﻌﺮﺑﻴﺔ", "العربيه", "presentation forms"),
        ("فارسی", "فارسي", "Persian yeh"),
        ("کتاب", "كتاب", "Persian keheh"),
        ("٣٫٥ و١٬٠٠٠", "3.5 و1,000", "Arabic decimal and thousands separators"),
        ("COVID", "covid", "Latin case folded"),
        ("مسؤول", "مسؤول", "waw with hamza kept (Lucene keeps it)"),
        ("رئيس", "رئيس", "yeh with hamza kept"),
    ],
)
def test_normalize(raw: str, folded: str, rule: str) -> None:
    assert normalize(raw) == folded, rule


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("قال، «نعم» ؛ لا؟", ["قال", "نعم", "لا"]),
        ("“جمهورية قره باغ”…", ["جمهورية", "قره", "باغ"]),
        ("عام 1993.", ["عام", "1993"]),
        ("snake_case و-شرطة", ["snake", "case", "و", "شرطة"]),
        ("😀 🇹🇷", []),
        ("", []),
    ],
)
def test_tokenize_splits_on_any_punctuation(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize("word", ["مين", "شو", "ايش", "وين", "امتى", "ليش", "كام", "ماذا", "متى", "في", "التي", "إلى"])
def test_stopwords_cover_standard_and_dialect_question_words(word: str) -> None:
    assert normalize(word) in stopwords()
    assert drop_stopwords(tokenize(normalize(f"{word} تركيا"))) == ["تركيا"]


def test_stopwords_are_normalized_when_loaded() -> None:
    # Listed as "إلى" and "أين": stored in folded form so folded text matches them.
    assert "الي" in stopwords() and "اين" in stopwords()
    assert "إلى" not in stopwords()


@pytest.mark.parametrize(
    ("word", "stemmed", "rule"),
    [
        ("الكتاب", "كتاب", "prefix ال"),
        ("والكتاب", "كتاب", "prefix وال"),
        ("بالكتاب", "كتاب", "prefix بال"),
        ("كالكتاب", "كتاب", "prefix كال"),
        ("فالكتاب", "كتاب", "prefix فال"),
        ("للكتاب", "كتاب", "prefix لل"),
        ("وكتاب", "كتاب", "conjunction و when three letters stay"),
        ("وقت", "وقت", "و kept when fewer than three letters would stay"),
        ("وزير", "زير", "conjunction و stripped last…"),
        ("الوزير", "زير", "…so the article and و forms meet"),
        ("والوزير", "زير", "…whatever the prefix"),
        ("الوطنيه", "وطن", "و kept when the stem would shrink to two letters"),
        ("كتابها", "كتاب", "suffix ها"),
        ("مسلمان", "مسلم", "suffix ان"),
        ("مسلمات", "مسلم", "suffix ات"),
        ("مسلمون", "مسلم", "suffix ون"),
        ("مسلمين", "مسلم", "suffix ين"),
        ("تركيه", "ترك", "suffix يه (ية after normalization)"),
        ("كتابه", "كتاب", "suffix ه (also ة after normalization)"),
        ("اجتمعوا", "اجتمع", "suffix وا (plural verb)"),
        ("اجتمعا", "اجتمع", "suffix ا (dual verb; also country names: تركيا ~ تركي)"),
        ("تركي", "ترك", "suffix ي"),
        ("كتابهم", "كتاب", "pronoun suffix هم"),
        ("كتابكم", "كتاب", "pronoun suffix كم"),
        ("بلادنا", "بلاد", "pronoun suffix نا"),
        ("دمرت", "دمر", "past-tense ت when three letters stay"),
        ("دمرها", "دمر", "…so دمرت and دمرها meet"),
        ("صوت", "صوت", "ت kept when fewer than three letters would stay"),
        ("التمديد", "مدد", "a doubled verb's verbal noun (تفعيل) reads as the verb…"),
        ("مددوا", "مدد", "…so the noun in the news meets the verb in the question"),
        ("تصحيح", "صحح", "…any three strong letters around the ي"),
        ("تاكيد", "تاكيد", "…but not with a long vowel (here a folded hamza) among them"),
        ("تطوير", "تطوير", "…nor in another shape"),
        ("ال", "ال", "nothing left: kept whole"),
        ("به", "به", "stem would be shorter than two letters"),
        ("1993", "1993", "numbers kept whole"),
    ],
)
def test_light_stemmer(word: str, stemmed: str, rule: str) -> None:
    assert stem(word) == stemmed, rule


def test_the_conjunction_goes_only_from_words_that_keep_three_letters() -> None:
    from retrieval.analysis.stem import strip_conjunction

    assert strip_conjunction("وكتاب") == "كتاب"
    assert strip_conjunction("وطن") == "وطن"  # و is the first letter of the root here
    assert strip_conjunction("كتاب") == "كتاب"


def test_only_one_prefix_is_removed() -> None:
    assert strip_article("والولد") == "ولد"
    # ة written as ت before a pronoun (مكتبتها) meets the plain word (مكتبة → مكتبه → مكتب).
    assert strip_suffixes("مكتبتها") == strip_suffixes("مكتبه") == "مكتب"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("التركية", "تركيا"),
        ("الوفدين", "الوفدان"),
        ("أنقرة", "انقره"),
        ("مستشفى", "المستشفي"),
        ("دبـابات", "الدبابات"),
        ("عام ١٩٩٣", "عام 1993"),
        ("مَوْقِفُ", "موقف"),
        ("وزير", "الوزير"),
    ],
)
def test_spelling_variants_meet_in_one_term(a: str, b: str) -> None:
    assert analyze(a) == analyze(b)


def test_analyze_is_the_same_chain_for_articles_and_questions() -> None:
    assert analyze("ما هو موقف تركيا؟") == ["موقف", "ترك"]
    assert analyze("موقفُ تُركيا") == ["موقف", "ترك"]


def test_term_spans_point_at_the_original_words() -> None:
    text = "دمرت أربع دبـابات تابعة للقوات"
    spans = term_spans(text, set(analyze("الدبابات")))
    assert [text[a:b] for a, b in spans] == ["دبـابات"]


def test_a_root_table_works_each_term_out_once_and_follows_a_growing_vocabulary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worked: list[str] = []
    plain = roots._worked_out
    monkeypatch.setattr(roots, "_worked_out", lambda term: worked.append(term) or plain(term))
    terms = [*analyze("حمولة السفينة"), "2015"]
    table = RootTable(terms)
    asked = {w: plain(analyze(w)[0]) for w in ("تحمل", "سفينة", "مكتب")}  # a question's roots
    load_root, ship_root, books_root = asked.values()
    assert load_root and ship_root and books_root
    assert table.id_of(load_root) is None  # no term read has it yet
    table.read_all()
    assert sorted(worked) == sorted(terms)  # each once, before any question
    load, ship = table.id_of(load_root), table.id_of(ship_root)
    assert load is not None and ship is not None
    assert table.id_of(books_root) is None  # a root no term has gets no id: questions are many
    assert table.held(range(len(terms)), {load}) == {load}
    assert table.held(range(len(terms)), {load, ship}) == {load, ship}  # a number has none
    assert table.held([1, 2], {load}) == set()
    terms.extend(analyze("محملة بالكتب"))  # the vocabulary grows after the table was made
    assert table.held([len(terms) - 2, len(terms) - 1], {load}) == {load}  # read when met
    books = table.id_of(books_root)
    assert books is not None
    table.read_all()
    assert table.held(range(len(terms)), {load, ship, books}) == {load, ship, books}
    assert sorted(worked) == sorted(terms)  # still once each


def test_roots_are_isris_on_the_analyzers_terms() -> None:
    # The analyzer has normalized already, so ISRI's own normalization is skipped: the roots must be
    # those of NLTK's stemmer as it stands, on terms as the analyzer leaves them.
    from nltk.stem.isri import ISRIStemmer

    stock = ISRIStemmer()
    text = "أرسلت المملكة سفينة محملة بالمساعدات وتعويضات المتضررين ومددوا خدمة مدير الجامعة والاعتراضات"
    for t in analyze(text):
        expected = stock.stem(t)
        assert term_root(t) == (expected if len(expected) >= roots.MIN_ROOT else None), t
