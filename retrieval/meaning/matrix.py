"""The articles' vectors as the index reads them: one contiguous matrix of story vectors by article
position, so a question costs one matrix-vector product, and the sentence vectors by article id.

An exact product is the right tool at this size: 30k stories × 384 float32 is 46 MB and ~2-4 ms a
question on one core. It grows linearly with the stories held; past a few hundred thousand (~30 ms,
the whole question budget) an ANN index (usearch or faiss HNSW over the same rows) would take over,
behind the same `cosines`/`nearest` calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from retrieval.meaning.vectors import ArticleVectors, story_text
from retrieval.text.article import Article


class StoryVectors:
    """Immutable: `with_vectors` and `selected` return new ones, sharing nothing that changes."""

    def __init__(
        self,
        ids: Sequence[str],
        sizes: Sequence[int],
        dim: int,
        vectors: Mapping[str, ArticleVectors] | None = None,
    ) -> None:
        """`ids` and `sizes`: each article's id and number of body sentences, by position (sentence
        vectors of another count are stale and are not held)."""
        self.ids = tuple(ids)
        self.dim = dim
        self._positions: dict[str, list[int]] = {}
        self._sizes: dict[str, int] = {}
        for position, (article_id, size) in enumerate(zip(self.ids, sizes, strict=True)):
            self._positions.setdefault(article_id, []).append(position)
            self._sizes.setdefault(article_id, size)
        # Zeros until a vector arrives: an unembedded story has cosine 0 with every question.
        self.matrix = np.zeros((len(self.ids), dim), dtype=np.float32)
        self.present = np.zeros(len(self.ids), dtype=bool)
        self._sentences: dict[str, np.ndarray] = {}
        self._fill(vectors or {})

    def _fill(self, vectors: Mapping[str, ArticleVectors]) -> None:
        for article_id, found in vectors.items():
            positions = self._positions.get(article_id)
            if positions is None:
                continue  # a vector of an article this index does not hold
            story = np.asarray(found.story, dtype=np.float32).reshape(-1)
            if story.shape[0] != self.dim:
                raise ValueError(f"article {article_id}: a vector of {story.shape[0]} values, not {self.dim}")
            self.matrix[positions] = story
            self.present[positions] = True
            rows = None if found.sentences is None else np.asarray(found.sentences, dtype=np.float32)
            if rows is not None and (rows.ndim != 2 or rows.shape[1] != self.dim):
                raise ValueError(f"article {article_id}: sentence vectors of shape {rows.shape}")
            if rows is not None and rows.shape[0] == self._sizes[article_id]:
                self._sentences[article_id] = rows
            else:
                self._sentences.pop(article_id, None)

    def with_vectors(self, more: Mapping[str, ArticleVectors]) -> StoryVectors:
        """These vectors with `more` added or replaced (the term indexes are untouched: no analysis)."""
        new = StoryVectors.__new__(StoryVectors)
        new.ids, new.dim, new._positions, new._sizes = self.ids, self.dim, self._positions, self._sizes
        new.matrix, new.present = self.matrix.copy(), self.present.copy()
        new._sentences = dict(self._sentences)
        new._fill(more)
        return new

    def extended(
        self, ids: Sequence[str], sizes: Sequence[int], more: Mapping[str, ArticleVectors] | None = None
    ) -> StoryVectors:
        """These vectors for the articles held plus new ones at the end (`ids`, `sizes`), with `more`
        (vectors of the new ones, or replacements) filled in: the held rows are copied, not rebuilt."""
        new = StoryVectors([*self.ids, *ids], [*(self._sizes[i] for i in self.ids), *sizes], self.dim)
        new.matrix[: len(self.ids)] = self.matrix
        new.present[: len(self.ids)] = self.present
        new._sentences = dict(self._sentences)
        new._fill(more or {})
        return new

    def get(self, article_id: str) -> ArticleVectors | None:
        positions = self._positions.get(article_id)
        if not positions or not self.present[positions[0]]:
            return None
        return ArticleVectors(story=self.matrix[positions[0]].copy(), sentences=self._sentences.get(article_id))

    def held(self) -> Mapping[str, ArticleVectors]:
        """Every held article's vectors, by id: a view (membership and size cost nothing; a vector is
        copied out when read)."""
        return _Held(self)

    def carried(
        self, old: Mapping[str, Article], articles: Sequence[Article], vectors: Mapping[str, ArticleVectors] | None
    ) -> dict[str, ArticleVectors]:
        """The vectors an index over `articles` keeps (`old`: the articles held, by id): an article's
        while its story text is unchanged (its sentences' while its sentences are), then `vectors`."""
        kept: dict[str, ArticleVectors] = {}
        for article in articles:
            before = old.get(article.id)
            found = self.get(article.id) if before is not None else None
            if found is None or before is None or story_text(before) != story_text(article):
                continue
            kept[article.id] = found if before.sentences == article.sentences else ArticleVectors(story=found.story)
        kept.update(vectors or {})
        return kept

    def has(self, position: int) -> bool:
        return bool(self.present[position])

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.present))

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """The cosine of the (unit) question vector with every story, by article position (0 when
        the story has no vector yet)."""
        return self.matrix @ np.asarray(query, dtype=np.float32)

    def nearest(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the k stories closest to `query`, best first, and their cosines."""
        return self.nearest_of(self.cosines(query), k)

    @staticmethod
    def nearest_of(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """`nearest` from cosines already computed (`cosines`), without a second product."""
        k = min(k, scores.shape[0])
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top, scores[top]

    def sentence(self, article_id: str, i: int) -> np.ndarray | None:
        """The vector of body sentence `i` of an article, or None when its sentences were not embedded."""
        rows = self._sentences.get(article_id)
        if rows is None or not 0 <= i < rows.shape[0]:
            return None
        return rows[i]


class _Held(Mapping[str, ArticleVectors]):
    def __init__(self, vectors: StoryVectors) -> None:
        self._vectors = vectors

    def __getitem__(self, article_id: str) -> ArticleVectors:
        found = self._vectors.get(article_id)
        if found is None:
            raise KeyError(article_id)
        return found

    def __contains__(self, article_id: object) -> bool:
        positions = self._vectors._positions.get(article_id) if isinstance(article_id, str) else None
        return bool(positions) and bool(self._vectors.present[positions[0]])

    def __iter__(self) -> Iterator[str]:
        return (i for i, p in self._vectors._positions.items() if self._vectors.present[p[0]])

    def __len__(self) -> int:
        return sum(1 for _ in self)
