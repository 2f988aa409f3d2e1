"""Meaning in the answers (with the hash encoder): the story's closeness lifts its sentences, the stories
nearest the question bring candidates BM25 left out, a question no candidate story is close to is not
answered, and the sentence vectors rerank where they exist."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from retrieval.answering.news_index import NewsIndex
from retrieval.answering.replies import AnswerPolicy
from retrieval.meaning.encoder import HashEncoder
from retrieval.meaning.vectors import ArticleVectors, embed_articles
from retrieval.text.article import Article

ENCODER = HashEncoder(dim=256)
# Meaning off, and the context rerank too: a title's words would otherwise lift its sentences lexically.
OFF = replace(AnswerPolicy(), meaning_model=None, story_weight=0.0, sentence_weight=0.0, min_story_cosine=0.0, context_weight=0.0,
              context_share=0.0, root_weight=0.0, root_share=0.0)


# Meaning read but changing nothing: a weight too small to move any score.
PROBE = replace(OFF, sentence_weight=1e-12)


def article(i: int, title: str, *sentences: str) -> Article:
    return Article(id=f"a{i}", title=title, sentences=tuple(sentences), source=f"s{i}",
                   published=datetime(2015, 8, 1, tzinfo=timezone.utc))


# Two sentences that say the same words (a tie for BM25); only their titles tell the stories apart.
TIED = [
    article(1, "مباراة كرة القدم في الدوري", "وقال المسؤول إن العدد بلغ خمسين شخصا يوم الأحد."),
    article(2, "حريق في مستودع بمكة المكرمة", "وقال المسؤول إن العدد بلغ خمسين شخصا يوم الاثنين."),
    article(3, "ارتفاع أسعار الذهب", "تراجع الدولار أمام العملات."),
]


# Other stories, so that the words above are rare ones (idf) as in a real corpus.
FILLER = [article(10 + i, f"خبر عام رقم {i}", f"نص عادي عن موضوع آخر رقم {i} العدد بلغ يوم.") for i in range(8)]


def vectors_of(articles: list[Article], sentences: bool = False) -> dict[str, ArticleVectors]:
    return {a.id: v for a, v in zip(articles, embed_articles(ENCODER, articles, sentences), strict=True)}


def test_the_story_closer_in_meaning_wins_a_lexical_tie() -> None:
    question = "كم العدد الذي قاله المسؤول عن حريق المستودع في مكة؟"
    lexical = NewsIndex(TIED, policy=OFF)
    meaning = NewsIndex(TIED, policy=replace(OFF, story_weight=0.5), encoder=ENCODER, vectors=vectors_of(TIED))
    # The lexical order of a tie is by position (a1 first); the story of the fire lifts a2.
    assert lexical.rank(question, 2)[0][0].article.id == "a1"
    assert meaning.rank(question, 1)[0][0].article.id == "a2"
    # Without the story weight the encoder changes nothing in the order.
    same = NewsIndex(TIED, policy=OFF, encoder=ENCODER, vectors=vectors_of(TIED))
    assert [r.article.id for r, _ in same.rank(question, 2)] == [r.article.id for r, _ in lexical.rank(question, 2)]


def test_coefficients_fitted_for_another_model_leave_the_answers_lexical() -> None:
    question = "كم العدد الذي قاله المسؤول عن حريق المستودع في مكة؟"
    fitted_elsewhere = replace(OFF, story_weight=0.5, meaning_model="another-model")
    index = NewsIndex(TIED, policy=fitted_elsewhere, encoder=ENCODER, vectors=vectors_of(TIED))
    assert index.closeness(question) is None
    assert index.rank(question, 1)[0][0].article.id == "a1"


def test_a_policy_with_meaning_off_does_not_embed_the_question() -> None:
    index = NewsIndex(TIED, policy=OFF, encoder=ENCODER, vectors=vectors_of(TIED))
    assert index.closeness("حريق المستودع") is None  # every weight 0, no threshold: nothing to read
    assert NewsIndex(TIED, policy=replace(OFF, sentence_weight=0.1), encoder=ENCODER,
                     vectors=vectors_of(TIED)).closeness("حريق المستودع") is not None


def test_an_article_without_a_vector_is_still_answered_lexically() -> None:
    question = "كم العدد الذي قاله المسؤول عن حريق المستودع في مكة؟"
    index = NewsIndex(TIED, policy=replace(OFF, story_weight=0.5), encoder=ENCODER, vectors={})
    assert index.closeness(question) is None  # nothing embedded yet: the lexical answer
    assert index.rank(question, 1)[0][0].article.id == "a1"


def test_the_nearest_stories_bring_candidates_bm25_left_out() -> None:
    # BM25's pool of one holds a1's sentence (it repeats the shared word); a2's story is the question's.
    articles = [
        article(1, "أخبار الرياضة اليوم", "خمسين خمسين خمسين في الملعب."),
        article(2, "حريق في مستودع بمكة المكرمة", "بلغ عدد الفرق خمسين فرقة."),
        *FILLER,
    ]
    question = "حريق مستودع مكة المكرمة خمسين"
    policy = replace(OFF, pool=1, story_depth=1, story_weight=2.0)
    assert [r.article.id for r, _ in NewsIndex(articles, policy=policy).rank(question, 1)] == ["a1"]
    # The nearest story's sentence joins the pool of one, and its story's closeness puts it first.
    index = NewsIndex(articles, policy=policy, encoder=ENCODER, vectors=vectors_of(articles))
    assert [r.article.id for r, _ in index.rank(question, 1)] == ["a2"]
    # With no nearest story read, the pool stays BM25's own.
    alone = NewsIndex(articles, policy=replace(policy, story_depth=0), encoder=ENCODER, vectors=vectors_of(articles))
    assert [r.article.id for r, _ in alone.rank(question, 1)] == ["a1"]


def test_silence_when_no_candidate_story_is_close() -> None:
    question = "كم العدد الذي قاله المسؤول يوم الأحد؟"
    vectors = vectors_of(TIED)
    answered = NewsIndex(TIED, policy=PROBE, encoder=ENCODER, vectors=vectors)
    assert answered.ask(question).answered
    found = answered.story_closeness(question)
    assert found is not None
    story, sentence = found
    assert 0.0 <= story < 1.0 and sentence == -1.0  # no sentence vectors: the stories decide
    strict = NewsIndex(TIED, policy=replace(OFF, min_story_cosine=story + 0.01), encoder=ENCODER, vectors=vectors)
    assert not strict.ask(question).answered
    lenient = NewsIndex(TIED, policy=replace(OFF, min_story_cosine=story - 0.01), encoder=ENCODER, vectors=vectors)
    assert lenient.ask(question).answered
    # Lexical (no encoder): the thresholds are never read.
    assert NewsIndex(TIED, policy=replace(OFF, min_story_cosine=0.99)).ask(question).answered


def test_an_embedded_sentence_is_judged_by_its_own_closeness() -> None:
    question = "كم العدد الذي قاله المسؤول يوم الأحد؟"
    vectors = vectors_of(TIED, sentences=True)
    index = NewsIndex(TIED, policy=PROBE, encoder=ENCODER, vectors=vectors)
    found = index.story_closeness(question)
    assert found is not None
    story, sentence = found
    assert story == -1.0 and 0.0 < sentence <= 1.0  # every candidate has its sentence vector
    # A story threshold no title reaches does not silence it: the sentence is close enough.
    both = replace(OFF, min_story_cosine=0.99, min_sentence_cosine=sentence - 0.01)
    assert NewsIndex(TIED, policy=both, encoder=ENCODER, vectors=vectors).ask(question).answered
    above = replace(both, min_sentence_cosine=sentence + 0.01)
    assert not NewsIndex(TIED, policy=above, encoder=ENCODER, vectors=vectors).ask(question).answered


def test_sentence_vectors_rerank_where_they_exist() -> None:
    # BM25 prefers the first sentence (it repeats the question's rarest word); the second holds more of
    # the question's words, which its sentence vector shows.
    articles = [
        article(1, "تصريح المسؤول", "جدة جدة جدة جدة في الصيف.", "بلغ العدد خمسين يوم السبت في جدة."),
        *FILLER,
    ]
    question = "كم بلغ العدد يوم في جدة"
    policy = replace(OFF, sentence_weight=3.0, answer_type_boost=0.0)
    vectors = vectors_of(articles, sentences=True)
    lexical = NewsIndex(articles, policy=policy)
    assert lexical.rank(question, 1)[0][0].position == 0
    index = NewsIndex(articles, policy=policy, encoder=ENCODER, vectors=vectors)
    assert index.rank(question, 1)[0][0].position == 1
    # The story vector alone (no sentence vectors held) cannot tell them apart: BM25's order stands.
    bare = {k: ArticleVectors(story=v.story) for k, v in vectors.items()}
    assert NewsIndex(articles, policy=policy, encoder=ENCODER, vectors=bare).rank(question, 1)[0][0].position == 0
