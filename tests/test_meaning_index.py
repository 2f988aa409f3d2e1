"""NewsIndex holding the articles' vectors: added without analysis, carried over when the index grows or
is rebuilt, the unembedded listed newest first, and no encoder meaning exactly today's answers."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from retrieval.answering.news_index import NewsIndex
from retrieval.meaning.encoder import HashEncoder
from retrieval.meaning.vectors import ArticleVectors, embed_articles
from retrieval.text.article import Article
from retrieval.text.files import load_folder

ROOT = Path(__file__).resolve().parent.parent


def article(i: int, title: str, day: int, *sentences: str) -> Article:
    body = sentences or (f"{title} في الخبر رقم {i}.", "وقال المتحدث إن العمل مستمر.")
    return Article(id=f"a{i}", title=title, sentences=tuple(body), source="s",
                   published=datetime(2015, 8, day, tzinfo=timezone.utc))


ARTICLES = [
    article(1, "افتتاح مستشفى جديد في جدة", 1),
    article(2, "ارتفاع أسعار النفط في الأسواق", 3),
    article(3, "اجتماع وزراء الخارجية في الرياض", 2),
    article(4, "فوز الهلال على النصر في الدوري", 5),
]


@pytest.fixture(scope="module")
def encoder() -> HashEncoder:
    return HashEncoder()


def vectors_of(encoder: HashEncoder, articles: list[Article], sentences: bool = False) -> dict[str, ArticleVectors]:
    return {a.id: v for a, v in zip(articles, embed_articles(encoder, articles, sentences), strict=True)}


def test_vectors_are_one_matrix_by_article_position(encoder: HashEncoder) -> None:
    index = NewsIndex(ARTICLES, encoder=encoder, vectors=vectors_of(encoder, ARTICLES))
    assert index.meaning is not None
    matrix = index.meaning.matrix
    assert matrix.shape == (4, encoder.dim) and matrix.dtype == np.float32 and matrix.flags["C_CONTIGUOUS"]
    for position, a in enumerate(ARTICLES):
        assert np.allclose(matrix[position], encoder.passages([a.title])[0])
    q = encoder.queries(["أسعار النفط"])[0]
    top, scores = index.meaning.nearest(q, 2)
    assert top[0] == 1 and scores[0] == pytest.approx(float(matrix[1] @ q))
    assert index.unembedded() == []


def test_with_vectors_adds_without_analysis_and_lists_the_rest_newest_first(encoder: HashEncoder) -> None:
    index = NewsIndex(ARTICLES, encoder=encoder)
    # Newest first: a4 (Aug 5), a2 (Aug 3), a3 (Aug 2), a1 (Aug 1).
    assert [a.id for a in index.unembedded()] == ["a4", "a2", "a3", "a1"]
    assert [a.id for a in index.unembedded(limit=2)] == ["a4", "a2"]
    more = vectors_of(encoder, ARTICLES[1:2])
    grown = index.with_vectors(more)
    assert grown.sentences is index.sentences and grown.titles is index.titles  # nothing analysed again
    assert [a.id for a in grown.unembedded()] == ["a4", "a3", "a1"]
    assert index.meaning is not None and index.meaning.count == 0  # the old index is untouched
    assert set(grown.vectors) == {"a2"}
    assert np.allclose(grown.vectors["a2"].story, more["a2"].story)
    # A vector of an article the index does not hold is ignored; one of the wrong width raises.
    assert grown.with_vectors({"zz": more["a2"]}).meaning.count == 1
    with pytest.raises(ValueError):
        grown.with_vectors({"a1": ArticleVectors(story=np.ones(3, dtype=np.float32))})


def test_growing_keeps_the_vectors_held_and_takes_the_new_ones(encoder: HashEncoder) -> None:
    index = NewsIndex(ARTICLES[:2], encoder=encoder, vectors=vectors_of(encoder, ARTICLES[:2], sentences=True))
    new = ARTICLES[2:]
    grown = index.with_articles(new, vectors=vectors_of(encoder, new[:1]))
    assert [a.id for a in grown.unembedded()] == ["a4"]
    assert grown.encoder is encoder
    held = grown.vectors
    assert set(held) == {"a1", "a2", "a3"}
    assert held["a1"].sentences is not None and held["a1"].sentences.shape == (2, encoder.dim)
    assert held["a3"].sentences is None
    # Articles it holds already: only the vectors are taken.
    again = grown.with_articles(ARTICLES[3:], vectors=vectors_of(encoder, ARTICLES[3:]))
    assert again.unembedded() == [] and len(again.articles) == 4


def test_rebuilding_carries_the_vectors_still_true(encoder: HashEncoder) -> None:
    index = NewsIndex(ARTICLES, encoder=encoder, vectors=vectors_of(encoder, ARTICLES, sentences=True))
    retitled = article(1, "إغلاق مستشفى في جدة", 1)  # a new story text: its vector is stale
    rewritten = article(2, ARTICLES[1].title, 3, "نص آخر عن النفط.", "وجملة ثانية أخرى.")  # same title, new body
    fresh = article(5, "أمطار غزيرة على مكة", 6)
    rebuilt = index.rebuilt([retitled, rewritten, ARTICLES[2], fresh], vectors=vectors_of(encoder, [fresh]))
    held = rebuilt.vectors
    assert set(held) == {"a2", "a3", "a5"}
    assert held["a2"].sentences is None  # the story vector stays, the sentences' went with the body
    assert held["a3"].sentences is not None
    assert [a.id for a in rebuilt.unembedded()] == ["a1"]


def test_sentence_vectors_of_another_count_are_not_held(encoder: HashEncoder) -> None:
    vectors = vectors_of(encoder, ARTICLES[:1], sentences=True)
    vectors["a1"] = ArticleVectors(story=vectors["a1"].story, sentences=vectors["a1"].sentences[:1])
    index = NewsIndex(ARTICLES[:1], encoder=encoder, vectors=vectors)
    assert index.meaning is not None and index.meaning.sentence("a1", 0) is None
    assert index.vectors["a1"].sentences is None


def test_without_an_encoder_nothing_is_held_and_the_answers_are_todays() -> None:
    articles = load_folder(ROOT / "seeds")
    plain = NewsIndex(articles)
    ignored = NewsIndex(articles, vectors=vectors_of(HashEncoder(), articles))
    assert plain.meaning is None and ignored.meaning is None and ignored.unembedded() == []
    assert ignored.with_vectors(vectors_of(HashEncoder(), articles)) is ignored
    for question in ("من فاز في الانتخابات؟", "وين كان الاجتماع؟", "كم عدد الضحايا؟"):
        assert ignored.ask(question) == plain.ask(question)
