"""What an article is embedded by, and the compact form its vectors are stored in.

Storage keeps, per article, the vector of its story text and (where that pays) of each body sentence,
as float16 bytes: half of float32, and the cosines it gives differ by ~1e-3, far below what ranking
can tell apart. `RECIPE` names the texts embedded: change `story_text` and bump it, and stored vectors
become stale (made again by the refresh job) instead of silently mixing two recipes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.meaning.encoder import Encoder
from retrieval.text.article import Article

RECIPE = "title-v1"
_STORED = np.dtype("<f2")


def story_text(article: Article) -> str:
    """The text that stands for the whole story: its title, or its first sentence when untitled."""
    return article.title or (article.sentences[0] if article.sentences else "")


def model_key(encoder: Encoder) -> str:
    """What stored vectors are tagged with: the model and the recipe of texts it embedded."""
    return f"{encoder.name}/{RECIPE}"


@dataclass(frozen=True)
class ArticleVectors:
    """An article's embeddings: `story` (dim,), and `sentences` (one row per body sentence, in
    order) or None when its sentences were not embedded."""

    story: np.ndarray
    sentences: np.ndarray | None = None


def pack(rows: np.ndarray) -> bytes:
    """float16 little-endian bytes of a vector or a matrix."""
    return np.ascontiguousarray(rows, dtype=_STORED).tobytes()


def unpack(blob: bytes, dim: int) -> np.ndarray:
    """The float32 rows `pack` wrote: shape (len // dim, dim). A blob of the wrong size raises."""
    flat = np.frombuffer(blob, dtype=_STORED)
    if dim <= 0 or flat.size % dim:
        raise ValueError(f"stored vectors of {flat.size} values are not rows of {dim}")
    return flat.astype(np.float32).reshape(-1, dim)


def embed_articles(encoder: Encoder, articles: Sequence[Article], sentences: bool = False) -> list[ArticleVectors]:
    """Each article's vectors: its story text's, and its body sentences' when `sentences`."""
    stories = encoder.passages([story_text(a) for a in articles])
    if not sentences:
        return [ArticleVectors(story=row) for row in stories]
    flat = encoder.passages([s for a in articles for s in a.sentences])
    out: list[ArticleVectors] = []
    start = 0
    for article, row in zip(articles, stories, strict=True):
        end = start + len(article.sentences)
        out.append(ArticleVectors(story=row, sentences=flat[start:end]))
        start = end
    return out
