"""Answering a question: the best body sentences with citations, related headlines, or abstention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timezone

import numpy as np

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.answering.answer_type import AnswerType, answer_type, offers
from retrieval.answering.replies import Answer, AnswerPolicy, RelatedHit, Reply, SentenceRef, sentence_refs
from retrieval.search.term_index import BM25Params, Encoded, Hit, Query, TermIndex
from retrieval.text.article import Article, RelatedLink


def _published_key(article: Article) -> float:
    if article.published is None:
        return float("-inf")
    published = article.published
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return published.timestamp()


class NewsIndex:
    """An immutable snapshot of the corpus: rebuild with `with_articles` when news arrives."""

    def __init__(
        self,
        articles: Iterable[Article],
        params: BM25Params = BM25Params(),
        policy: AnswerPolicy = AnswerPolicy(),
        analyzer: Analyzer = analyze,
        *,
        sentences: TermIndex | None = None,
        headlines: TermIndex | None = None,
    ) -> None:
        """`sentences`, when given, is the index of the articles' sentences in order (loaded from a
        snapshot, or grown from an older index); `headlines` likewise for the related headlines."""
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
        if sentences is None:
            sentences = TermIndex([s for a in self.articles for s in a.sentences], params, analyzer)
        if headlines is None:
            headlines = TermIndex([link.title for link in self.links], params, analyzer)
        if sentences.size != len(self.refs) or headlines.size != len(self.links):
            raise ValueError("the term indexes do not match the articles")
        self.sentences = sentences
        self.headlines = headlines
        # Built off the event loop (the bot builds in a thread): pay for the score arrays here, not
        # in the first question.
        sentences.scorer.warm()
        headlines.scorer.warm()

    def with_articles(self, more: Iterable[Article], analysed: Encoded | None = None) -> NewsIndex:
        """This index plus the articles of `more` it does not hold yet; only those are analysed (or
        taken from `analysed`, the sentences of all of `more` analysed elsewhere, in order), and they
        join as a new segment (this snapshot keeps answering meanwhile)."""
        more = list(more)
        known = {a.id for a in self.articles}
        fresh = []  # per article of `more`: new here (and not repeated earlier in `more`)
        for article in more:
            fresh.append(article.id not in known)
            known.add(article.id)
        new = [a for a, f in zip(more, fresh, strict=True) if f]
        if not new:
            return self
        links = {link.title for link in self.links}
        titles = list(dict.fromkeys(link.title for a in new for link in a.related if link.title not in links))
        if analysed is not None:
            keep = [f for a, f in zip(more, fresh, strict=True) for _ in a.sentences]
            sentences = self.sentences.with_encoded(analysed.subset(np.array(keep, dtype=bool)))
        else:
            sentences = self.sentences.with_texts([s for a in new for s in a.sentences])
        return NewsIndex(
            [*self.articles, *new],
            self.params,
            self.policy,
            self.analyzer,
            sentences=sentences,
            headlines=self.headlines.with_texts(titles),
        )

    def rebuilt(self, articles: Iterable[Article]) -> NewsIndex:
        """An index over `articles`, reusing the analysis of every article this one already holds.

        Kept articles are selected from the arrays (no analysis); the others are analysed. Scores
        are those of a fresh build over the same articles: the statistics are recomputed.
        """
        articles = list(articles)
        held: dict[str, tuple[int, Article]] = {}
        doc = 0
        for article in self.articles:
            held.setdefault(article.id, (doc, article))
            doc += len(article.sentences)
        docs: list[int] = []
        new: list[str] = []
        for article in articles:
            first, old = held.pop(article.id, (-1, None))  # pop: a repeated id is analysed anew
            if old is not None and old.sentences == article.sentences:
                docs.extend(range(first, first + len(article.sentences)))
            else:
                docs.extend([-1] * len(article.sentences))
                new.extend(article.sentences)
        sentences = self.sentences.reassembled(docs, new)
        titles = {link.title: i for i, link in enumerate(self.links)}
        wanted = list(dict.fromkeys(link.title for a in articles for link in a.related))
        if all(t in titles for t in wanted):
            headlines = self.headlines.select([titles[t] for t in wanted])
        else:  # headlines are few: analysing them again costs nothing worth a second code path
            headlines = TermIndex(wanted, self.params, self.analyzer)
        return NewsIndex(articles, self.params, self.policy, self.analyzer, sentences=sentences, headlines=headlines)

    def rank(self, question: str, n: int) -> list[tuple[SentenceRef, Hit]]:
        """The n best sentences for `question`, without any abstention (used by evaluation)."""
        return self._rank(question, self.sentences.query(question), n)

    def _rank(self, question: str, query: Query, n: int) -> list[tuple[SentenceRef, Hit]]:
        hits = self.sentences.search(query, max(n, self.policy.pool))
        kind = answer_type(question)
        if kind is not None and self.policy.answer_type_boost:
            hits = self._boost_answer_type(hits, kind, query)
        hits = self._prefer_newer(hits)
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

    def _prefer_newer(self, hits: list[Hit]) -> list[Hit]:
        hits = list(hits)
        published = {h.doc: _published_key(self.refs[h.doc].article) for h in hits}
        if len(set(published.values())) < 2:
            return hits  # one date (or none) among the candidates: nothing to prefer
        margin = self.policy.tie_margin
        # Insertion pass: a newer article moves ahead of an older one scoring within the margin.
        for i in range(1, len(hits)):
            j = i
            while (
                j > 0
                and hits[j - 1].score - hits[j].score <= margin * hits[j - 1].score
                and published[hits[j].doc] > published[hits[j - 1].doc]
            ):
                hits[j - 1], hits[j] = hits[j], hits[j - 1]
                j -= 1
        return hits

    def related(self, question: str) -> tuple[RelatedHit, ...]:
        query = self.headlines.query(question)
        hits = [self.headlines.describe(query, h) for h in self.headlines.search(query, self.policy.related_limit * 4)]
        keep = [h for h in hits if h.coverage >= self.policy.related_min_coverage]
        return tuple(RelatedHit(self.links[h.doc], h.score) for h in keep[: self.policy.related_limit])

    def ask(self, question: str, top_k: int = 3) -> Reply:
        query = self.sentences.query(question)
        ranked = self._rank(question, query, max(top_k, 1))
        related = self.related(question)
        if not ranked or ranked[0][1].coverage < self.policy.min_coverage:
            return Reply(question=question, answered=False, related=related)
        best = ranked[0][1].score
        answers = tuple(
            Answer(ref=ref, score=hit.score, matched_terms=hit.matched)
            for ref, hit in ranked[:top_k]
            if hit.score >= self.policy.min_relative_score * best and hit.coverage >= self.policy.min_coverage
        )
        return Reply(question=question, answered=True, answers=answers, related=related)

