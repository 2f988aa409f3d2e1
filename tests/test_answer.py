"""Answering on the seed: every dev question, abstention, chrome never quoted, recency, typos."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from retrieval.answering import evaluate
from retrieval.answering.news_index import NewsIndex
from retrieval.answering.answer_type import AnswerType, answer_type, offers
from retrieval.text.article import Article
from retrieval.text.files import load_folder
from retrieval.search.spelling import SpellingIndex, within_one_edit

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = evaluate.read_jsonl(ROOT / "tests" / "seed_questions.jsonl")


@pytest.fixture(scope="module")
def seed_index() -> NewsIndex:
    return NewsIndex(load_folder(ROOT / "seeds"))


@pytest.mark.parametrize("item", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_seed_question(seed_index: NewsIndex, item: dict) -> None:
    outcome = evaluate.check_seed_question(seed_index, item)
    assert outcome.passed, outcome.why


@pytest.mark.parametrize(
    "question",
    [
        "ما عاصمة فرنسا؟",
        "من فاز بكأس العالم لكرة القدم؟",
        "كم سعر الذهب اليوم في دبي؟",
        "متى تبدأ العطلة الصيفية في المدارس؟",
        "شو أخبار الدوري الإسباني؟",
        "من هو رئيس وزراء اليابان؟",
    ],
)
def test_questions_the_news_does_not_cover_are_not_answered(seed_index: NewsIndex, question: str) -> None:
    reply = seed_index.ask(question)
    assert not reply.answered and reply.answers == ()


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "؟؟؟", "hello world", "<b>x</b>", "ما هو؟", "x" * 10_000, "\x00\x07"])
def test_odd_input_is_a_plain_no_answer(seed_index: NewsIndex, question: str) -> None:
    reply = seed_index.ask(question)
    assert reply.answered is False


@pytest.mark.parametrize(
    "question", ["ما هي ملفات تعريف الارتباط؟", "هل يستعمل الموقع الكوكيز لتحسين تجربة استخدامك؟", "الكوكيز"]
)
def test_cookie_notice_is_never_an_answer(seed_index: NewsIndex, question: str) -> None:
    reply = seed_index.ask(question)
    assert all("الكوكيز" not in a.text for a in reply.answers)
    assert all("الكوكيز" not in h.link.title for h in reply.related)


def test_answers_carry_citation_and_are_verbatim(seed_index: NewsIndex) -> None:
    reply = seed_index.ask("كم عدد الدبـابات المدمرة؟", top_k=3)
    assert reply.answered
    best = reply.answers[0]
    assert "دبـابات" in best.text  # the tatweel of the article is kept
    assert best.sentence == seed_index.articles[0].sentences.index(best.text) + 1
    assert best.citation == f"تركيا الآن، «{best.article.title}»، الجملة {best.sentence}"
    assert [a.score for a in reply.answers] == sorted((a.score for a in reply.answers), reverse=True)


def test_top_k_bounds_the_answers(seed_index: NewsIndex) -> None:
    assert len(seed_index.ask("وزير الخارجية التركية", top_k=1).answers) == 1
    assert 1 <= len(seed_index.ask("وزير الخارجية التركية", top_k=3).answers) <= 3


def test_related_headlines_are_ranked_separately_from_the_body(seed_index: NewsIndex) -> None:
    reply = seed_index.ask("ما هو الاجتماع العسكري السادس؟")
    assert "الاجتماع العسكري السادس" in reply.related[0].link.title
    assert all(a.text not in {h.link.title for h in reply.related} for a in reply.answers)


def _article(aid: str, sentence: str, published: datetime | None) -> Article:
    return Article(id=aid, title=aid, sentences=(sentence,), published=published)


def test_newer_article_wins_a_tie() -> None:
    old = _article("old", "ارتفعت أسعار النفط في الأسواق العالمية.", datetime(2020, 1, 1, tzinfo=timezone.utc))
    new = _article("new", "ارتفعت أسعار النفط في الأسواق العالمية.", datetime(2026, 1, 1, tzinfo=timezone.utc))
    for order in ([old, new], [new, old]):
        reply = NewsIndex(order).ask("أسعار النفط")
        assert reply.answers[0].article.id == "new"


def test_a_clearly_better_match_beats_a_newer_article() -> None:
    old = _article("old", "ارتفعت أسعار النفط الخام في الأسواق العالمية اليوم.", datetime(2020, 1, 1))
    new = _article("new", "تراجعت أسعار الذهب.", datetime(2026, 1, 1))
    assert NewsIndex([old, new]).ask("أسعار النفط الخام").answers[0].article.id == "old"


def test_typo_in_a_question_term_is_read_as_the_corpus_word(seed_index: NewsIndex) -> None:
    query = seed_index.sentences.query("من ترائس الوفد")
    assert query.corrected == {"ترائس": "تراس"}


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [("تراس", "ترائس", True), ("اردوغان", "اردغان", True), ("كتاب", "مكتب", False), ("كتاب", "كاتب", True), ("ابعد", "ابدع", True), ("سلام", "كلام", True), ("سلام", "اسلامي", False),
     ("abcd", "abxy", False),  # two neighbouring changes that are not a swap
     ("abcd", "adcb", False),  # a swap of letters that are not neighbours
     ("abc", "abxy", False), ("abc", "abc", True), ("abc", "abdc", True)],
)
def test_within_one_edit(a: str, b: str, close: bool) -> None:
    assert within_one_edit(a, b) is close


def test_short_and_known_terms_are_not_corrected() -> None:
    spelling = SpellingIndex({"سلام": 3, "كلام": 1})
    assert spelling.correct("سلام") is None
    assert spelling.correct("سلا") is None  # under four letters: too many neighbours to guess
    assert spelling.correct("سلامم") == "سلام"
    assert spelling.correct("ا" * 10_000) is None  # not a typo; its edits alone would take gigabytes


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("من هو وزير الدفاع؟", AnswerType.WHO),
        ("مين وزير خارجية تركيا؟", AnswerType.WHO),
        ("متى وقعت المعركة؟", AnswerType.WHEN),
        ("امتى اجتمعوا؟", AnswerType.WHEN),
        ("في أي عام وقعت المعارك؟", AnswerType.WHEN),
        ("كم عدد الدبابات؟", AnswerType.HOW_MANY),
        ("ما موقف تركيا؟", None),
        ("", None),
        # "و" before the question word, and the cases around it.
        ("و من ترأس الوفد؟", AnswerType.WHO),
        ("و مين الوزير؟", AnswerType.WHO),
        ("و", None),
        ("وما الموقف؟", None),
        ("هل قال من حضر؟", None),  # من inside the question asks no one
        # "في أي/بأي + a time noun" asks when; one of the two alone does not.
        ("بأي سنة افتتح المعرض؟", AnswerType.WHEN),
        ("في البيت الأبيض اجتماع", None),
        ("عام الفيل", None),
        ("في أي مدينة عقد المؤتمر عام 2020؟", None),  # the time noun past the third word
        ("قديش سعر الخبز؟", AnswerType.HOW_MANY),
        ("ما كم الأسئلة المطروحة؟", AnswerType.HOW_MANY),
        ("ما هو السعر كم؟", None),  # كم past the second word
    ],
)
def test_answer_type(question: str, kind: AnswerType | None) -> None:
    assert answer_type(question) is kind


def test_answer_type_offers() -> None:
    assert offers("بعد معارك عام 1993.", AnswerType.WHEN, frozenset())
    assert offers("دمرت أربع دبابات.", AnswerType.HOW_MANY, frozenset())
    assert offers("أكد وزير الخارجية التركية تشاووش أوغلو موقفه.", AnswerType.WHO, frozenset({"زير", "خارج", "ترك"}))
    assert not offers("وشدد وزير الخارجية التركية أنه لا يوجد حل.", AnswerType.WHO, frozenset({"زير", "خارج", "ترك"}))
    # A day or a number word with the article, and sentences that hold none.
    assert offers("وصل الوفد في الصباح.", AnswerType.WHEN, frozenset())
    assert offers("قتل العشرات في القصف.", AnswerType.HOW_MANY, frozenset())
    assert not offers("وصل الوفد إلى المدينة.", AnswerType.WHEN, frozenset())
    assert not offers("وصل الوفد إلى المدينة.", AnswerType.HOW_MANY, frozenset())
    # A date is no count: a day by its month, a year after "عام"...
    assert not offers("وتقام المباراة يوم الأربعاء ١٢ أغسطس ٢٠١٥ في لندن.", AnswerType.HOW_MANY, frozenset())
    assert not offers("افتتح المعرض في عام 1999 بحضور الوزير.", AnswerType.HOW_MANY, frozenset())
    # ...but a bare four-digit number may count, and "twice" is a count.
    assert offers("حضر الحفل 2000 ضيف.", AnswerType.HOW_MANY, frozenset())
    assert offers("وفاز الفريق بالكأس مرتين.", AnswerType.HOW_MANY, frozenset())
    # The name must follow the title at once, be a word, and not be another "ال" noun.
    title = frozenset({"زير"})
    assert offers("قال الوزير أحمد إن الحل قريب.", AnswerType.WHO, title)
    assert not offers("قال الوزير الجديد إن الحل قريب.", AnswerType.WHO, title)
    assert not offers("قال الوزير 2020 إن الحل قريب.", AnswerType.WHO, title)
    assert not offers("قال أحمد الوزير.", AnswerType.WHO, title)


def test_with_articles_adds_only_new_ones(seed_index: NewsIndex) -> None:
    extra = _article("extra", "افتتحت بلدية إسطنبول جسرا جديدا فوق مضيق البوسفور.", None)
    bigger = seed_index.with_articles([seed_index.articles[0], extra])
    assert [a.id for a in bigger.articles] == [seed_index.articles[0].id, "extra"]
    assert bigger.ask("جسر البوسفور").answers[0].article.id == "extra"
    assert not seed_index.ask("جسر البوسفور").answered  # the old snapshot is untouched


def test_rebuilt_reuses_analysis_and_drops_articles(seed_index: NewsIndex) -> None:
    extra = _article("extra", "افتتحت بلدية إسطنبول جسرا جديدا فوق مضيق البوسفور.", None)
    both = seed_index.with_articles([extra])
    only_extra = both.rebuilt([extra])
    assert [a.id for a in only_extra.articles] == ["extra"]
    assert only_extra.sentences.doc_terms(0) == NewsIndex([extra]).sentences.doc_terms(0)
    assert not only_extra.ask("من ترأس الوفد التركي؟").answered  # the seed is gone
    # Scores equal a fresh build over the same articles: the reuse changes nothing but the time.
    fresh = NewsIndex([*seed_index.articles, extra])
    question = "وزير الدفاع التركي"
    assert [(r.position, h.score) for r, h in both.rank(question, 5)] == [(r.position, h.score) for r, h in fresh.rank(question, 5)]


def test_one_edit_agrees_with_edits1() -> None:
    # The scan of a small vocabulary must find exactly the strings edits1 would have generated.
    import random

    from retrieval.search.spelling import ARABIC_LETTERS, edits1, one_edit

    rng = random.Random(3)
    words = ["سلام", "كتاب", "مدرسه", "اردوغان", "ترأس"]
    for word in words:
        near = sorted(edits1(word))
        others = near[:: max(1, len(near) // 80)] + ["".join(rng.sample(word, len(word))) for _ in range(20)]
        others += [word, word + "پ", "پ" + word[1:], word[:-1], word[1:] + word[0]]
        for other in others:
            assert one_edit(word, other, ARABIC_LETTERS) == (other in edits1(word)), (word, other)
    small = SpellingIndex({"سلام": 3, "كلام": 1}, vocabulary={"سلام": 0, "كلام": 1})
    big = SpellingIndex({"سلام": 3, "كلام": 1}, vocabulary={"سلام": 0, "كلام": 1, **{f"x{i}": i for i in range(25_000)}})
    for term in ["سلامم", "كلم", "سلاح", "ملاس", "سلامة"]:
        assert small.correct(term) == big.correct(term)
