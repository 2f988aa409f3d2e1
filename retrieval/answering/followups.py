"""A follow-up's candidates: its own words, the previous turn's topic words at a discount, and the story
answered before preferred (NewsIndex.ask_in_context)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np

from retrieval.answering import assemble
from retrieval.answering.replies import AnswerPolicy, Reply, SentenceRefs
from retrieval.answering.rerank import Evidence
from retrieval.search.stories import MIN_SIMILARITY, StoryText, story_terms
from retrieval.analysis.analyzer import Analyzer
from retrieval.search.term_index import Hit, Query, TermIndex
from retrieval.text.article import Article

# Other outlets' articles of a story are looked for among this many titles like its own.
STORY_CANDIDATES = 20


def known_only(own: Query, sentences: TermIndex) -> Query:
    """A follow-up's own terms that the news uses. One it never uses is mostly a pronoun-suffixed
    verb the analyzer keeps whole («اشتروه» → اشترو): it can match nothing, and as the rarest term
    it would weigh the most in the coverage an answer needs."""
    keep = [t for t in own.weights if sentences.doc_freqs.get(own.corrected.get(t, t), 0) > 0]
    terms = tuple(t for t in own.terms if any(own.corrected.get(k, k) == t for k in keep))
    return Query(terms=terms, weights={t: own.weights[t] for t in keep}, corrected={t: c for t, c in own.corrected.items() if t in keep})


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
    scores = np.zeros(sentences.size)
    for terms, weight in ((own_terms, 1.0), (topic_terms, policy.topic_weight)):
        if terms:
            candidates, found = sentences.scorer.score(terms)
            scores[candidates] += found * weight  # candidates are distinct: plain fancy indexing adds once
    if preferred:
        wanted = np.fromiter(preferred, dtype=np.int64, count=len(preferred))
        scores[wanted] *= 1.0 + policy.prefer_boost
    touched = np.flatnonzero(scores)
    if len(touched) > policy.pool:
        touched = touched[np.argpartition(-scores[touched], policy.pool - 1)[: policy.pool]]
    return sorted((Hit(doc=int(d), score=float(scores[d])) for d in touched), key=lambda h: (-h.score, h.doc))


def _story_terms(article: Article, analyzer: Analyzer) -> frozenset[str]:
    return story_terms(StoryText(article.title, article.sentences[0] if article.sentences else ""), analyzer)


def same_story(
    articles: Sequence[Article], position_of: Callable[[str], int | None], titles: TermIndex,
    analyzer: Analyzer, article_ids: Collection[str],
) -> list[str]:
    """`article_ids` and the articles telling the same story (titles and leads sharing
    MIN_SIMILARITY of their analyzed terms, as digests group stories), among the titles like theirs
    (`titles`: one document per article, in the order of `articles`)."""
    found = list(dict.fromkeys(article_ids))
    for article_id in list(found):
        position = position_of(article_id)
        if position is None:
            continue
        article = articles[position]
        mine = _story_terms(article, analyzer)
        lead = article.sentences[0] if article.sentences else ""
        for hit in titles.search(titles.query(f"{article.title} {lead}"), STORY_CANDIDATES):
            other = articles[hit.doc]
            if other.id not in found and assemble.overlap(mine, _story_terms(other, analyzer)) >= MIN_SIMILARITY:
                found.append(other.id)
    return found


def quoted_again(
    sentences: TermIndex, hits: list[Hit], seen: frozenset[int], says_asked: Callable[[int], bool]
) -> frozenset[int]:
    """Those of `hits` that repeat a sentence quoted already (it, or another outlet's copy of it) and
    do not hold what the follow-up itself asks (`says_asked`): «مين هو؟» wants something the last
    answer did not say, «كم طابق فيه؟» may be answered by the sentence that named the floors."""
    if not seen:
        return frozenset()
    quoted = [sentences.term_ids_of(d) for d in seen]
    return frozenset(
        h.doc for h in hits
        if any(assemble.overlap(sentences.term_ids_of(h.doc), q) >= assemble.NEAR_DUPLICATE for q in quoted)
        and not says_asked(h.doc)
    )


def docs_of(refs: SentenceRefs, position_of: Callable[[str], int | None], article_ids: Collection[str]) -> frozenset[int]:
    """The sentence numbers of the articles `article_ids` names (those the index holds)."""
    found = [p for a in article_ids if (p := position_of(a)) is not None]
    return frozenset(d for p in found for d in refs.docs_of(p))


def docs_at(
    refs: SentenceRefs, position_of: Callable[[str], int | None], seen: Collection[tuple[str, int]]
) -> frozenset[int]:
    """The sentence numbers of (article id, 0-based position) pairs."""
    found = [(refs.docs_of(p), n) for a, n in seen if (p := position_of(a)) is not None]
    return frozenset(docs[n] for docs, n in found if n < len(docs))


# Stories whose sentences are kept for follow-ups (a chat asks several about one story).
STORY_CACHE = 256


class InContext:
    """NewsIndex answering a follow-up with the turn before it (a mixin, kept here beside the steps it
    composes); the attributes below are NewsIndex's."""

    articles: tuple[Article, ...]
    policy: AnswerPolicy
    refs: SentenceRefs
    sentences: TermIndex
    titles: TermIndex
    analyzer: Analyzer
    _positions: dict[str, int] | None
    _stories: dict[tuple[str, ...], frozenset[int]]
    _query: Callable[[str], Query]
    _coverage: Callable[[int, Query], float]
    evidence: Callable[[int, Query], Evidence]
    _reply: Callable[..., Reply]

    def ask_in_context(
        self, question: str, top_k: int = 3, *, topic: str = "", prefer: Collection[str] = (),
        seen: Collection[tuple[str, int]] = (), must: str = "", only_story: bool = False,
    ) -> Reply:
        """A follow-up («كم طولها؟») read with the previous turn's `topic` words (at topic_weight), the
        story `prefer` names preferred (its articles and the same story's from other outlets: ×(1 +
        prefer_boost)), or answering alone (`only_story`). A sentence quoted already (`seen`: article id,
        0-based position) or a copy of one comes last unless it holds the question's own words; with
        `must`, an answer holds one of its terms (itself, by context or root: «وماذا عن أرمينيا؟»)."""
        own = known_only(self._query(question), self.sentences)
        about = self.sentences.query(topic)
        query = with_topic(own, about, self.policy.topic_weight) if topic else own
        docs = self._story_docs(tuple(prefer))
        first = context_hits(self.sentences, own, query, docs, self.policy)
        if only_story:
            first = [h for h in first if h.doc in docs]
        needed = frozenset(self.sentences.analyzer(must)) if must else frozenset()
        asked = frozenset(own.terms)

        def says_asked(doc: int) -> bool:  # holds the question's own words, itself or by root
            found = self.evidence(doc, query)
            return bool(asked & (found.own | found.rooted))

        quoted = docs_at(self.refs, self.position_of, seen)
        later = quoted_again(self.sentences, first, quoted, says_asked)
        if topic and not only_story:
            # Beyond the story, an answer must be on the topic: cover min_coverage of the topic's
            # own weight (with its context and roots, as any answer's coverage is read).
            first = [h for h in first if self._coverage(h.doc, about) >= self.policy.min_coverage]
        return self._reply(question, query, top_k, first, needed, later=later)

    def _story_docs(self, prefer: tuple[str, ...]) -> frozenset[int]:
        """The sentences of the story `prefer` names (same_story), kept for the next
        follow-ups on it (the last STORY_CACHE stories asked about)."""
        found = self._stories.get(prefer)
        if found is None:
            story = same_story(self.articles, self.position_of, self.titles, self.analyzer, prefer)
            if len(self._stories) >= STORY_CACHE:
                self._stories.clear()
            found = self._stories[prefer] = docs_of(self.refs, self.position_of, story)
        return found

    def position_of(self, article_id: str) -> int | None:
        """Where the article `article_id` is in `articles` (its first copy), or None."""
        if self._positions is None:
            positions: dict[str, int] = {}
            for i, article in enumerate(self.articles):
                positions.setdefault(article.id, i)
            self._positions = positions
        return self._positions.get(article_id)
