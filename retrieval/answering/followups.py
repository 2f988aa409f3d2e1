"""A follow-up's candidates: its own words, the previous turn's topic words at a discount, and the story
answered before preferred (NewsIndex.ask_in_context)."""

from __future__ import annotations

from retrieval.answering.replies import AnswerPolicy
from retrieval.search.term_index import Hit, Query, TermIndex


def with_topic(own: Query, topic: Query, weight: float) -> Query:
    """A follow-up's query: its own terms, then the topic's it lacks, weighing `weight` of their idf
    (in coverage as in scoring)."""
    extra = tuple(t for t in topic.terms if t not in own.terms)
    weights = {**{t: w * weight for t, w in topic.weights.items()}, **own.weights}
    return Query(terms=own.terms + extra, weights=weights, corrected={**topic.corrected, **own.corrected})


def context_hits(
    sentences: TermIndex, own: Query, query: Query, preferred: frozenset[int], policy: AnswerPolicy
) -> list[Hit]:
    """The policy's pool of best sentences for a follow-up: BM25 of its own terms plus topic_weight ×
    BM25 of the topic's (`query` = with_topic(own, …)), over every document (two exhaustive passes
    over the terms' postings), the `preferred` sentences scoring prefer_boost more."""
    ids = sentences.vocab.ids
    own_terms = [i for t in own.terms if (i := ids.get(t)) is not None]
    topic_terms = [i for t in query.terms[len(own.terms):] if (i := ids.get(t)) is not None]
    scores: dict[int, float] = {}
    for terms, weight in ((own_terms, 1.0), (topic_terms, policy.topic_weight)):
        if terms:
            candidates, found = sentences.scorer.score(terms)
            for d, v in zip(candidates.tolist(), (found * weight).tolist(), strict=True):
                scores[d] = scores.get(d, 0.0) + v
    bonus = 1.0 + policy.prefer_boost
    boosted = [Hit(doc=d, score=v * bonus if d in preferred else v) for d, v in scores.items()]
    return sorted(boosted, key=lambda h: (-h.score, h.doc))[: policy.pool]
