"""The numbers behind answering that no dev question pins down: the abstention threshold, the weight
of a typo-corrected word, and which correction a typo gets.

Each test is built so that the value in the code sits between what the test accepts and what a
plausible slip (halving the threshold, full weight for a guess, the rarest candidate) would give.
"""

from __future__ import annotations

import pytest

from retrieval import Article, NewsIndex
from retrieval.answering.replies import AnswerPolicy
from retrieval.search.spelling import SpellingIndex
from retrieval.search.term_index import TermIndex

SENTENCES = (
    "أعلنت الحكومة خطة جديدة لدعم المزارعين في الصعيد.",
    "ارتفعت أسعار القمح في الأسواق المحلية هذا الأسبوع.",
    "افتتح الوزير مستشفى جديدا في مدينة أسوان.",
    "شارك آلاف العدائين في ماراثون القاهرة الدولي.",
    "تراجعت صادرات القطن المصري خلال العام الماضي.",
)

@pytest.fixture(scope="module")
def index() -> NewsIndex:
    return NewsIndex([Article(id="farm", title="أخبار الزراعة", sentences=SENTENCES)])

def best_coverage(index: NewsIndex, question: str) -> float:
    query = index.sentences.query(question)
    return max(index.sentences.describe(query, h).coverage for h in index.sentences.search(query, 5))

def test_an_answer_covering_a_third_of_the_question_is_withheld(index: NewsIndex) -> None:
    # Flax and wool are not in the news: the cotton sentence covers about a third of what is asked.
    question = "ماذا عن صادرات القطن والكتان والصوف؟"
    assert 0.25 < best_coverage(index, question) < AnswerPolicy().min_coverage
    assert not index.ask(question).answered

def test_an_answer_covering_most_of_the_question_is_given(index: NewsIndex) -> None:
    question = "لماذا ارتفعت أسعار القمح في طنطا والمنصورة؟"
    assert AnswerPolicy().min_coverage < best_coverage(index, question) < 0.6
    reply = index.ask(question)
    assert reply.answered and reply.answers[0].text == SENTENCES[1]

def test_a_typo_corrected_word_earns_half_its_weight() -> None:
    texts = ["استقبل اردوغان الوفد في انقرة.", "ارتفعت اسعار القمح.", "افتتح الوزير مستشفى.", "شارك العداؤون في الماراثون."]
    terms = TermIndex(texts)
    query = terms.query("استقبل اردغان الوفد")  # اردغان: a letter short of اردوغان
    assert query.corrected == {"اردغ": "اردوغ"}
    (hit,) = [terms.describe(query, h) for h in terms.search(query, 1)]
    w = query.weights
    assert hit.coverage == pytest.approx((w["استقبل"] + 0.5 * w["اردغ"] + w["وفد"]) / sum(w.values()))
    assert "اردوغ" in hit.matched  # matched as the corpus term it was read as
    # The typo alone: half of everything, not all of it.
    alone = terms.query("اردغان")
    (hit,) = [terms.describe(alone, h) for h in terms.search(alone, 1)]
    assert hit.coverage == pytest.approx(0.5)

def test_a_typo_is_read_as_the_most_frequent_corpus_word_one_edit_away() -> None:
    # كتاش is one letter from كتاب (in 5 sentences) and from كتان (in 1); كتان sorts after كتاب.
    spelling = SpellingIndex({"كتاب": 5, "كتان": 1, "كتابه": 2})
    assert spelling.correct("كتاش") == "كتاب"
    assert SpellingIndex({"كتاب": 1, "كتان": 5}).correct("كتاش") == "كتان"
    # A tie goes to the later word, so the choice never depends on dict order.
    assert SpellingIndex({"كتان": 3, "كتاب": 3}).correct("كتاش") == "كتان"
    assert spelling.correct("ا" * 20 + "ب") is None and SpellingIndex({"ا" * 20: 1}).correct("ا" * 19 + "ب") == "ا" * 20


def test_idf_is_lucenes_formula_in_both_places() -> None:
    # The scorer and the coverage weights must both use log(1 + (N - n + 0.5) / (n + 0.5)); the
    # tests comparing the fast scorer with LuceneIdfBM25 cannot see a slip in that shared formula.
    import math

    from retrieval.search.bm25 import LuceneIdfBM25, lucene_idf

    docs = [["قمح", "سعر"], ["قمح"], ["قطن"], ["ذهب", "سعر"], ["نفط"]]
    model = LuceneIdfBM25(docs)
    for word, n in {"قمح": 2, "سعر": 2, "قطن": 1, "نفط": 1}.items():
        expected = math.log(1 + (5 - n + 0.5) / (n + 0.5))
        assert model.idf[word] == pytest.approx(expected) == lucene_idf(n, 5)
    assert lucene_idf(0, 5) == pytest.approx(math.log(1 + 5.5 / 0.5))  # a word the corpus lacks
