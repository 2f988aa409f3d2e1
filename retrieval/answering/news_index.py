"""Answering a question: the best body sentences with citations, related headlines, or abstention."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.analysis.normalize import normalize
from retrieval.answering import abstain, assemble, rerank
from retrieval.answering.answer_type import CHECKABLE, AnswerType, answer_type, offers
from retrieval.answering.replies import Answer, AnswerPolicy, RelatedHit, Reply, SentenceRef, sentence_refs
from retrieval.search.term_index import BM25Params, Hit, Query, TermIndex
from retrieval.text.article import Article, RelatedLink


# Near-duplicates of an answer are looked for among this many candidates.
DUPLICATE_WINDOW = 20


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
        self._wanted: tuple[Query, frozenset[str]] | None = None
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
        cached = self._wanted
        if cached is None or cached[0] is not query:
            # A question's candidates are read one after another: a one-entry cache keeps its terms
            # (replaced whole, so a question asked from another thread only recomputes them).
            cached = (query, rerank.query_terms(query))
            self._wanted = cached
        return rerank.evidence(self.refs, self.sentences.tokens, doc, cached[1])

    def _rank(self, question: str, query: Query, n: int) -> list[tuple[SentenceRef, Hit]]:
        hits = self.sentences.search(query, max(n, self.policy.pool))
        depth = max(n, self.policy.context_depth) if n < self.policy.pool else self.policy.context_depth
        hits = rerank.with_context(hits, query, lambda doc: self.evidence(doc, query), self.policy.context_weight, depth)
        kind = answer_type(question)
        if kind is not None and self.policy.answer_type_boost:
            hits = self._boost_answer_type(hits, kind, query)
        if rerank.asks_for_latest(question):
            hits = rerank.newest_first(hits, self.refs, self.policy.recency_band)
        else:
            hits = rerank.prefer_newer_on_ties(hits, self.refs, self.policy.tie_margin, n)
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
        """"تابع أيضا" headlines of the corpus that fit the question."""
        query = self.headlines.query(question)
        hits = [self.headlines.describe(query, h) for h in self.headlines.search(query, self.policy.related_limit * 4)]
        keep = [h for h in hits if h.coverage >= self.policy.related_min_coverage]
        return tuple(RelatedHit(self.links[h.doc], h.score) for h in keep[: self.policy.related_limit])

    def ask(self, question: str, top_k: int = 3) -> Reply:
        query = self._query(question)
        pool = self._rank(question, query, max(top_k, self.policy.pool))
        answers: list[Answer] = []
        first = self._first_answering(question, query, pool)
        if first is not None:
            pool = [pool[first], *pool[:first], *pool[first + 1 :]]
            answers = self._answers_by_story(question, query, pool, max(top_k, 1))
        quoted = [a.article for a in answers] + [other for a in answers for other in a.also_reported_by]
        fitting = [
            (ref, hit) for ref, hit in pool[: self.policy.context_depth]
            if self.evidence(hit.doc, query).coverage(query, self.policy.context_share) >= self.policy.related_article_coverage
        ]
        quoted_titles = {assemble.title_key(a) for a in quoted}
        headlines = [h for h in self.related(question) if " ".join(normalize(h.link.title).split()) not in quoted_titles]
        related = (*headlines, *assemble.related_articles(fitting, quoted, self.policy.related_articles))
        return Reply(question=question, answered=bool(answers), answers=tuple(answers), related=related)

    def _first_answering(self, question: str, query: Query, pool: list[tuple[SentenceRef, Hit]]) -> int | None:
        """The best candidate that answers: the first one, or when it lacks only the number or score
        asked for, the first close behind it (within type_fallback of its score) that has one."""
        if not pool:
            return None
        if self._answers(question, query, pool[0]):
            return 0
        top = pool[0]
        if self.evidence(top[1].doc, query).coverage(query, self.policy.context_share) < self.policy.min_coverage:
            return None  # the question's words are missing, not just the kind of answer
        floor = (1.0 - self.policy.type_fallback) * top[1].score
        for i, candidate in enumerate(pool[1:], 1):
            if candidate[1].score < floor:
                break
            if self._answers(question, query, candidate):
                return i
        return None

    def _answers_by_story(
        self, question: str, query: Query, pool: list[tuple[SentenceRef, Hit]], top_k: int
    ) -> list[Answer]:
        """The best sentence of each story, near-duplicates from other outlets named, not quoted again."""
        window = pool[:DUPLICATE_WINDOW]
        terms_of = [frozenset(self.sentences.tokens[hit.doc]) for _, hit in window]
        best = window[0][1].score
        answers = []
        for lead, copies in assemble.group_duplicates(window, terms_of):
            ref, hit = window[lead]
            if answers and (hit.score < self.policy.min_relative_score * best or not self._answers(question, query, (ref, hit))):
                continue
            others = assemble.other_outlets(ref.article, [window[c][0].article for c in copies])
            answers.append(Answer(ref=ref, score=hit.score, matched_terms=hit.matched, also_reported_by=others))
            if len(answers) == top_k:
                break
        return answers
