"""Answering a question: the best body sentences with citations, related headlines, or abstention."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.answering import abstain, rerank
from retrieval.answering.answer_type import CHECKABLE, AnswerType, answer_type, offers
from retrieval.answering.replies import Answer, AnswerPolicy, RelatedHit, Reply, SentenceRef, sentence_refs
from retrieval.search.term_index import BM25Params, Hit, Query, TermIndex
from retrieval.text.article import Article, RelatedLink


class NewsIndex:
    """An immutable snapshot of the corpus: rebuild with `with_articles` when news arrives."""

    def __init__(
        self,
        articles: Iterable[Article],
        params: BM25Params = BM25Params(),
        policy: AnswerPolicy = AnswerPolicy(),
        analyzer: Analyzer = analyze,
        _analyzed: Mapping[str, list[str]] | None = None,
    ) -> None:
        """`_analyzed` maps texts to their tokens already known (see `rebuilt`)."""
        self.articles: tuple[Article, ...] = tuple(articles)
        self.params = params
        self.policy = policy
        self.analyzer = analyzer
        self.refs = sentence_refs(self.articles)
        links: dict[str, RelatedLink] = {}
        for article in self.articles:
            for link in article.related:
                # One entry per headline; a link with a URL beats the same headline without one.
                if link.title not in links or (link.url and not links[link.title].url):
                    links[link.title] = link
        self.links = list(links.values())
        known = _analyzed or {}

        def tokens(texts: list[str]) -> list[list[str]]:
            return [known[t] if t in known else analyzer(t) for t in texts]

        sentence_texts = [r.text for r in self.refs]
        self.sentences = TermIndex(sentence_texts, params, analyzer, tokens(sentence_texts))
        titles = [link.title for link in self.links]
        self.headlines = TermIndex(titles, params, analyzer, tokens(titles))

    def with_articles(self, more: Iterable[Article]) -> NewsIndex:
        """This index plus the articles of `more` it does not hold yet."""
        known = {a.id for a in self.articles}
        return self.rebuilt([*self.articles, *(a for a in more if a.id not in known)])

    def rebuilt(self, articles: Iterable[Article]) -> NewsIndex:
        """An index over `articles`, reusing the analysis of every text this one already holds.

        Analysis is most of the build time, so adding news or dropping old news costs little more
        than the BM25 statistics, which depend on the whole corpus and are computed afresh.
        """
        analyzed = dict(zip((r.text for r in self.refs), self.sentences.tokens, strict=True))
        analyzed.update(zip((link.title for link in self.links), self.headlines.tokens, strict=True))
        return NewsIndex(articles, self.params, self.policy, self.analyzer, _analyzed=analyzed)

    def rank(self, question: str, n: int) -> list[tuple[SentenceRef, Hit]]:
        """The n best sentences for `question`, without any abstention (used by evaluation)."""
        return self._rank(question, self._query(question), n)

    def _query(self, question: str) -> Query:
        if rerank.asks_for_latest(question):
            stripped = rerank.without_recency_words(question)
            if self.sentences.analyzer(stripped):
                return self.sentences.query(stripped)
        return self.sentences.query(question)

    def evidence(self, doc: int, query: Query) -> rerank.Evidence:
        return rerank.evidence(self.refs, self.sentences.tokens, doc, query)

    def _rank(self, question: str, query: Query, n: int) -> list[tuple[SentenceRef, Hit]]:
        hits = self.sentences.search(query, max(n, self.policy.pool))
        hits = rerank.with_context(hits, query, lambda doc: self.evidence(doc, query), self.policy.context_weight)
        kind = answer_type(question)
        if kind is not None and self.policy.answer_type_boost:
            hits = self._boost_answer_type(hits, kind, query)
        if rerank.asks_for_latest(question):
            hits = rerank.newest_first(hits, self.refs, self.policy.recency_band)
        else:
            hits = rerank.prefer_newer_on_ties(hits, self.refs, self.policy.tie_margin)
        return [(self.refs[h.doc], self.sentences.describe(query, h)) for h in hits[:n]]

    def _boost_answer_type(self, hits: list[Hit], kind: AnswerType, query: Query) -> list[Hit]:
        if not hits:
            return hits
        terms = frozenset(query.terms)
        bonus = 1.0 + self.policy.answer_type_boost
        # Only sentences the bonus could lift above the current best are worth checking.
        reach = hits[0].score / bonus
        boosted = [
            replace(h, score=h.score * bonus) if h.score >= reach and offers(self.refs[h.doc].text, kind, terms) else h
            for h in hits
        ]
        return sorted(boosted, key=lambda h: (-h.score, h.doc))

    def _answers(self, question: str, query: Query, candidate: tuple[SentenceRef, Hit]) -> bool:
        ref, hit = candidate
        kind = answer_type(question)
        offered = offers(ref.text, kind, frozenset(query.terms)) if kind is not None and kind in CHECKABLE else None
        return abstain.answers(query, self.evidence(hit.doc, query), self.policy, offered)

    def related(self, question: str) -> tuple[RelatedHit, ...]:
        query = self.headlines.query(question)
        hits = [self.headlines.describe(query, h) for h in self.headlines.search(query, self.policy.related_limit * 4)]
        keep = [h for h in hits if h.coverage >= self.policy.related_min_coverage]
        return tuple(RelatedHit(self.links[h.doc], h.score) for h in keep[: self.policy.related_limit])

    def ask(self, question: str, top_k: int = 3) -> Reply:
        query = self._query(question)
        ranked = self._rank(question, query, max(top_k, 1))
        related = self.related(question)
        if not ranked or not self._answers(question, query, ranked[0]):
            return Reply(question=question, answered=False, related=related)
        best = ranked[0][1].score
        answers = tuple(
            Answer(ref=ref, score=hit.score, matched_terms=hit.matched)
            for i, (ref, hit) in enumerate(ranked[:top_k])
            if i == 0 or (hit.score >= self.policy.min_relative_score * best and self._answers(question, query, (ref, hit)))
        )
        return Reply(question=question, answered=True, answers=answers, related=related)

