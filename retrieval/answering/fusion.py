"""Meaning inside the lexical pipeline: the stories closest in meaning join BM25's candidates, each
candidate's score gains its story's (and, where embedded, its sentence's) closeness to the question,
and a question no candidate story is close to is not answered.

The fusion is additive and scaled to the BM25 pool, so the stages after it (answer type, the newest
report, ties, the relative cut) read the fused score as they read BM25's: with min-max normalised
cosines z over the pool, a candidate scores s + (s_max − s_min) × (w_story × z_story + w_sentence ×
z_sentence), which ranks as (1 − w) × minmax(BM25) + w × minmax(cosine) does with w/(1 − w) = w_story.
The weights and the threshold are fitted (benchmarks/fit_meaning.py; BENCHMARKS.md), not guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from retrieval.answering.replies import SentenceRefs
from retrieval.meaning.matrix import StoryVectors
from retrieval.search.term_index import Hit, Query, TermIndex


@dataclass(frozen=True)
class Closeness:
    """One question's cosines: with every story (by article position), and the sentence cosine of a
    candidate (None when its sentences were not embedded)."""

    stories: np.ndarray
    sentence: Callable[[int], float | None]
    nearest: np.ndarray  # the positions of the closest stories, best first (policy.story_depth of them)


def closeness(meaning: StoryVectors, vector: np.ndarray, refs: SentenceRefs, depth: int) -> Closeness:
    """The cosines of the question `vector` with `meaning`'s stories, and its `depth` nearest."""

    def sentence(doc: int) -> float | None:
        ref = refs[doc]
        row = meaning.sentence(ref.article.id, ref.position)
        return None if row is None else float(row @ vector)

    stories = meaning.cosines(vector)  # the one matrix-vector product of the question
    return Closeness(stories, sentence, meaning.nearest_of(stories, depth)[0])


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def spread_of(hits: list[Hit]) -> float:
    """The BM25 spread the bonuses are scaled to: best minus worst of BM25's own candidates (those
    the nearest stories add, often scoring near 0, would widen it and with it every bonus)."""
    if not hits:
        return 1.0
    scores = [h.score for h in hits]
    return (max(scores) - min(scores)) or max(scores) or 1.0


def fused(
    hits: list[Hit], close: Closeness, article_of: Callable[[int], int], story_weight: float, sentence_weight: float,
    spread: float,
) -> list[Hit]:
    """`hits` rescored with their story's and sentence's closeness, best first (see the module doc)."""
    if len(hits) < 2 or (story_weight <= 0 and sentence_weight <= 0):
        return hits
    bonus = np.zeros(len(hits))
    if story_weight > 0:
        bonus += story_weight * _minmax(close.stories[[article_of(h.doc) for h in hits]])
    if sentence_weight > 0:
        found = [close.sentence(h.doc) for h in hits]
        known = np.array([f is not None for f in found])
        if known.sum() >= 2:
            # Candidates without sentence vectors get the middle of the range: neither pushed nor held back.
            values = np.array([f if f is not None else 0.0 for f in found])
            z = np.full(len(hits), 0.5)
            z[known] = _minmax(values[known])
            bonus += sentence_weight * z
    rescored = [replace(h, score=h.score + spread * float(b)) for h, b in zip(hits, bonus, strict=True)]
    return sorted(rescored, key=lambda h: (-h.score, h.doc))


def with_nearest_stories(
    hits: list[Hit], query: Query, close: Closeness, sentences: TermIndex, refs: SentenceRefs
) -> list[Hit]:
    """BM25's candidates plus the sentences, sharing a term with the question, of the stories
    closest in meaning (a paraphrase's story may hold none of BM25's best sentences), scored by BM25."""
    held = {h.doc for h in hits}
    ids = sentences.vocab.ids
    terms = [i for t in query.terms if (i := ids.get(t)) is not None]
    docs = sorted(d for p in close.nearest for d in refs.docs_of(int(p)) if d not in held)
    if not terms or not docs:
        return hits
    found = np.array(docs, dtype=np.int64)
    scores = sentences.scorer.exact(terms, found)
    more = [Hit(doc=int(d), score=float(s)) for d, s in zip(found, scores, strict=True) if s > 0]
    return sorted([*hits, *more], key=lambda h: (-h.score, h.doc))


def closest(close: Closeness, docs: list[int], article_of: Callable[[int], int]) -> tuple[float, float]:
    """How close the best candidates `docs` come to the question: the highest sentence cosine among
    those whose sentence was embedded, and the highest story cosine among the others (-1.0 when there
    is no such candidate). A sentence's own cosine, where it exists, separates answerable questions
    from unanswerable ones better than its story's (ARCD-train AUC 0.93 against 0.84), and is the only
    one that works where a title is not prose (XQuAD's are English page names)."""
    sentence = story = -1.0
    for doc in docs:
        own = close.sentence(doc)
        if own is not None:
            sentence = max(sentence, own)
        else:
            story = max(story, float(close.stories[article_of(doc)]))
    return story, sentence


def far(found: tuple[float, float], min_story: float, min_sentence: float) -> bool:
    """Whether no candidate is close enough: no embedded sentence has min_sentence, and no other
    candidate's story has min_story (`found`: closest's (story, sentence))."""
    story, sentence = found
    return story < min_story and sentence < min_sentence
