"""Answering a question: the best body sentences with citations, related headlines, or abstention."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from weakref import WeakKeyDictionary

import numpy as np

from retrieval.analysis.analyzer import Analyzer, RootTable, analyze
from retrieval.analysis.normalize import normalize
from retrieval.answering import abstain, assemble, fusion, rerank
from retrieval.answering.followups import InContext
from retrieval.answering.meaning_index import WithMeaning
from retrieval.answering.answer_type import CHECKABLE, AnswerType, answer_type, offers
from retrieval.answering.replies import Answer, AnswerPolicy, RelatedHit, Reply, SentenceRef, sentence_refs
from retrieval.meaning.encoder import Encoder
from retrieval.meaning.matrix import StoryVectors
from retrieval.meaning.vectors import ArticleVectors
from retrieval.search.term_index import BM25Params, Encoded, Hit, Query, TermIndex, Vocabulary
from retrieval.text.article import Article, RelatedLink


# Near-duplicates of an answer are looked for among this many candidates.
DUPLICATE_WINDOW = 20
_root_tables: WeakKeyDictionary[Vocabulary, RootTable] = WeakKeyDictionary()


class NewsIndex(WithMeaning, InContext):
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
        titles: TermIndex | None = None,
        encoder: Encoder | None = None,
        vectors: Mapping[str, ArticleVectors] | None = None,
    ) -> None:
        """`sentences`, when given, is the index of the articles' sentences in order (loaded from a
        snapshot, or grown from an older index); `headlines` likewise for the related headlines and
        `titles` for the articles' titles (one document per article: the context rerank reads a
        candidate's title terms off it instead of analysing the title in the question).

        `encoder` embeds questions into the space of `vectors` (the articles' embeddings, by article
        id, made by the same encoder); without an encoder, vectors are not held and the answers are
        the lexical ones. An article without a vector is answered lexically (see `unembedded`)."""
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
        self._wanted: rerank.Asked | None = None
        self._positions: dict[str, int] | None = None  # article id -> position, built on first use
        self._stories: dict[tuple[str, ...], frozenset[int]] = {}
        if sentences is None:
            sentences = TermIndex([s for a in self.articles for s in a.sentences], params, analyzer)
        if headlines is None:
            headlines = TermIndex([link.title for link in self.links], params, analyzer)
        if titles is None:
            titles = TermIndex([a.title for a in self.articles], params, analyzer)
        if sentences.size != len(self.refs) or headlines.size != len(self.links) or titles.size != len(self.articles):
            raise ValueError("the term indexes do not match the articles")
        self.sentences = sentences
        self.headlines = headlines
        self.titles = titles
        # Built off the event loop (the bot builds in a thread): pay for the score arrays here, not
        # in the first question.
        sentences.scorer.warm(doc_terms=True)  # the answer checks read sentences' terms
        headlines.scorer.warm(doc_terms=True)
        titles.scorer.warm(doc_terms=True)
        # Each article's timestamp, for the recency rerank (read for every candidate of every question).
        self._stamps = [rerank.published_key(a) for a in self.articles]
        # Roots of the sentences' terms, by term id: one table per vocabulary, shared by the indexes
        # grown from this one (they add terms to the same vocabulary).
        roots = _root_tables.setdefault(sentences.vocab, RootTable(sentences.vocab.terms))
        if policy.weighs_roots:
            # Built off the event loop like the rest: the roots of the terms this index added, so no
            # question works them out (a candidate's rare terms would otherwise be checked each time).
            roots.read_all()
        self._roots = roots
        self.encoder = encoder
        self.meaning: StoryVectors | None = None
        self._close: tuple[str, fusion.Closeness] | None = None  # the last question's cosines
        if encoder is not None:
            self.meaning = StoryVectors(
                [a.id for a in self.articles], [len(a.sentences) for a in self.articles], encoder.dim, vectors
            )

    def with_articles(
        self,
        more: Iterable[Article],
        analysed: Encoded | None = None,
        vectors: Mapping[str, ArticleVectors] | None = None,
    ) -> NewsIndex:
        """This index plus the articles of `more` it does not hold yet; only those are analysed (or
        taken from `analysed`, the sentences of all of `more` analysed elsewhere, in order), and they
        join as a new segment (this snapshot keeps answering meanwhile). The vectors held are kept;
        `vectors` gives those of the new articles (by id)."""
        more = list(more)
        known = {a.id for a in self.articles}
        fresh = []  # per article of `more`: new here (and not repeated earlier in `more`)
        for article in more:
            fresh.append(article.id not in known)
            known.add(article.id)
        new = [a for a, f in zip(more, fresh, strict=True) if f]
        if not new:
            return self.with_vectors(vectors or {})
        links = {link.title for link in self.links}
        titles = list(dict.fromkeys(link.title for a in new for link in a.related if link.title not in links))
        if analysed is not None:
            keep = [f for a, f in zip(more, fresh, strict=True) for _ in a.sentences]
            sentences = self.sentences.with_encoded(analysed.subset(np.array(keep, dtype=bool)))
        else:
            sentences = self.sentences.with_texts([s for a in new for s in a.sentences])
        grown = NewsIndex(
            [*self.articles, *new],
            self.params,
            self.policy,
            self.analyzer,
            sentences=sentences,
            headlines=self.headlines.with_texts(titles),
            titles=self.titles.with_texts([a.title for a in new]),
        )
        if self.meaning is None:
            return grown
        grown.encoder, grown._close = self.encoder, None
        grown.meaning = self.meaning.extended([a.id for a in new], [len(a.sentences) for a in new], vectors)
        return grown

    def rebuilt(self, articles: Iterable[Article], vectors: Mapping[str, ArticleVectors] | None = None) -> NewsIndex:
        """An index over `articles`, reusing the analysis of every article this one already holds.

        Kept articles are selected from the arrays (no analysis); the others are analysed. Scores
        are those of a fresh build over the same articles: the statistics are recomputed. A kept
        article keeps its vectors while its story text (and, for sentence vectors, its sentences) is
        unchanged; `vectors` gives those of the others (by id) and replaces any held.
        """
        articles = list(articles)
        held: dict[str, tuple[int, int, Article]] = {}  # id -> first sentence, position, article
        doc = 0
        for position, article in enumerate(self.articles):
            held.setdefault(article.id, (doc, position, article))
            doc += len(article.sentences)
        carried = None if self.meaning is None else self.meaning.carried({i: h[2] for i, h in held.items()}, articles, vectors)
        docs: list[int] = []
        new: list[str] = []
        # An article held (first of its id) keeps its analysed title too, unless the title changed.
        title_docs: list[int] = []
        new_titles: list[str] = []
        for article in articles:
            first, position, old = held.pop(article.id, (-1, -1, None))  # pop: a repeated id is analysed anew
            if old is not None and old.sentences == article.sentences:
                docs.extend(range(first, first + len(article.sentences)))
            else:
                docs.extend([-1] * len(article.sentences))
                new.extend(article.sentences)
            if old is not None and old.title == article.title:
                title_docs.append(position)
            else:
                title_docs.append(-1)
                new_titles.append(article.title)
        sentences = self.sentences.reassembled(docs, new)
        titles = self.titles.reassembled(title_docs, new_titles)
        links = {link.title: i for i, link in enumerate(self.links)}
        wanted = list(dict.fromkeys(link.title for a in articles for link in a.related))
        if all(t in links for t in wanted):
            headlines = self.headlines.select([links[t] for t in wanted])
        else:  # headlines are few: analysing them again costs nothing worth a second code path
            headlines = TermIndex(wanted, self.params, self.analyzer)
        return NewsIndex(
            articles, self.params, self.policy, self.analyzer, sentences=sentences, headlines=headlines, titles=titles,
            encoder=self.encoder, vectors=carried,
        )

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
        if cached is None or cached.query is not query or cached.policy is not self.policy:
            # A question's candidates are read one after another: a one-entry cache keeps its terms
            # (replaced whole: questions answered at once in several threads each recompute what the
            # other replaced, and each reads its own).
            roots = None
            if self.policy.weighs_roots:
                self._roots.read_all()  # nothing to do once read (built with roots on, it was)
                roots = self._roots
            cached = self._wanted = rerank.Asked(query, self.policy, rerank.query_terms(query), self.sentences, roots)
        # ...and each candidate's evidence, which the rerank, the answer checks and related articles
        # all read (a pure function of the document, the terms and the policy: a new policy, new cache).
        found = cached.evidence.get(doc)
        if found is None:
            found = cached.evidence[doc] = rerank.evidence(
                self.refs, self.sentences.held_by, doc, cached.terms, self._title_held, cached.held_by_root,
                self.policy.roots_over_context,
            )
        return found

    def _coverage(self, doc: int, query: Query) -> float:
        """The share of the question's weight sentence `doc` covers, read with its context and roots."""
        return self.evidence(doc, query).coverage(query, self.policy.context_share, self.policy.root_share)

    def _published(self, doc: int) -> float:
        return self._stamps[self.refs.article_of(doc)]

    def _title_held(self, doc: int, terms: frozenset[str]) -> frozenset[str]:
        return self.titles.held_by(self.refs.article_of(doc), terms)

    def _rank(
        self, question: str, query: Query, n: int, describe: bool = True, first: list[Hit] | None = None
    ) -> list[tuple[SentenceRef, Hit]]:
        """`first`: the BM25 candidates when the caller scored them (a follow-up's)."""
        hits = self.sentences.search(query, max(n, self.policy.pool)) if first is None else first
        close = self.closeness(question)
        spread = fusion.spread_of(hits) if close is not None else 1.0
        if close is not None:
            hits = fusion.with_nearest_stories(hits, query, close, self.sentences, self.refs)
        depth = max(n, self.policy.context_depth) if n < self.policy.pool else self.policy.context_depth
        weights = (self.policy.context_weight, self.policy.root_weight)
        hits = rerank.with_context(hits, query, lambda doc: self.evidence(doc, query), weights, depth)
        if close is not None:
            article_of = self.refs.article_of
            hits = fusion.fused(hits, close, article_of, self.policy.story_weight, self.policy.sentence_weight, spread)
        kind = answer_type(question)
        if kind is not None and self.policy.answer_type_boost:
            hits = self._boost_answer_type(hits, kind, query)
        if rerank.asks_for_latest(question):
            hits = rerank.newest_first(hits, self._published, self.policy.recency_band)
        else:
            hits = rerank.prefer_newer_on_ties(hits, self._published, self.policy.tie_margin, n)
        return [(self.refs[h.doc], h) for h in (self.sentences.describe_all(query, hits[:n]) if describe else hits[:n])]

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

    def _floor(self, question: str) -> float:
        """The coverage an answer needs: lower when meaning's silence checks the story too."""
        with_meaning = self.policy.silent_by_meaning and self.closeness(question) is not None
        return self.policy.meaning_min_coverage if with_meaning else self.policy.min_coverage

    def _answers(self, question: str, query: Query, candidate: tuple[SentenceRef, Hit]) -> bool:
        ref, hit = candidate
        kind = answer_type(question)
        offered = offers(ref.text, kind, frozenset(query.terms)) if kind is not None and kind in CHECKABLE else None
        return abstain.answers(query, self.evidence(hit.doc, query), self.policy, offered, self._floor(question))

    def related(self, question: str) -> tuple[RelatedHit, ...]:
        """"تابع أيضا" headlines of the corpus that fit the question."""
        query = self.headlines.query(question)
        hits = self.headlines.describe_all(query, self.headlines.search(query, self.policy.related_limit * 4))
        keep = [h for h in hits if h.coverage >= self.policy.related_min_coverage]
        return tuple(RelatedHit(self.links[h.doc], h.score) for h in keep[: self.policy.related_limit])

    def ask(self, question: str, top_k: int = 3) -> Reply:
        return self._reply(question, self._query(question), top_k)

    def ask_more(self, question: str, skip: int, n: int = 3) -> Reply:
        """The answers after the first `skip` stories (the "more" button): any sentence of another
        article that answers the question, however far behind the best it scores."""
        reply = self._reply(question, self._query(question), skip + n + DUPLICATE_WINDOW, relative=0.0)
        shown = {a.article.id for a in reply.answers[:skip]}
        shown |= {o.id for a in reply.answers[:skip] for o in a.also_reported_by}
        further = tuple(a for a in reply.answers[skip:] if a.article.id not in shown)[:n]
        return replace(reply, answers=further, answered=bool(further), related=())

    def _reply(
        self, question: str, query: Query, top_k: int, first: list[Hit] | None = None,
        must: frozenset[str] = frozenset(), relative: float | None = None, later: frozenset[int] = frozenset(),
    ) -> Reply:
        # Undescribed: of the pool only the quoted answers' matched terms are read (described there).
        pool = self._rank(question, query, max(top_k, self.policy.pool), describe=False, first=first)
        if must:
            pool = [c for c in pool if must & self._held(c[1].doc, query)]
        if later:  # quoted already: after every other candidate
            pool = [c for c in pool if c[1].doc not in later] + [c for c in pool if c[1].doc in later]
        answers: list[Answer] = []
        lead = self._first_answering(question, query, pool)
        if lead is not None and self._far_in_meaning(question, pool):
            lead = None
        if lead is not None:
            pool = [pool[lead], *pool[:lead], *pool[lead + 1 :]]
            answers = self._answers_by_story(question, query, pool, max(top_k, 1), relative)
        quoted = [a.article for a in answers] + [other for a in answers for other in a.also_reported_by]
        fitting = [
            (ref, hit) for ref, hit in pool[: self.policy.context_depth]
            if self._coverage(hit.doc, query) >= self.policy.related_article_coverage
        ]
        quoted_titles = {assemble.title_key(a) for a in quoted}
        headlines = [h for h in self.related(question) if " ".join(normalize(h.link.title).split()) not in quoted_titles]
        related = (*headlines, *assemble.related_articles(fitting, quoted, self.policy.related_articles))
        return Reply(question=question, answered=bool(answers), answers=tuple(answers), related=related)

    def _held(self, doc: int, query: Query) -> frozenset[str]:
        """The question terms sentence `doc` holds itself, by its context or by root."""
        found = self.evidence(doc, query)
        return found.own | found.context | found.rooted

    def _first_answering(self, question: str, query: Query, pool: list[tuple[SentenceRef, Hit]]) -> int | None:
        """The best candidate that answers: the first one, or when it lacks only the number or score
        asked for, the first close behind it (within type_fallback of its score) that has one."""
        if not pool:
            return None
        if self._answers(question, query, pool[0]):
            return 0
        top = pool[0]
        if self._coverage(top[1].doc, query) < self._floor(question):
            return None  # the question's words are missing, not just the kind of answer
        floor = (1.0 - self.policy.type_fallback) * top[1].score
        for i, candidate in enumerate(pool[1:], 1):
            if candidate[1].score < floor:
                break
            if self._answers(question, query, candidate):
                return i
        return None

    def _answers_by_story(
        self, question: str, query: Query, pool: list[tuple[SentenceRef, Hit]], top_k: int, relative: float | None = None
    ) -> list[Answer]:
        """The best sentence of each story, near-duplicates from other outlets named, not quoted again."""
        window = pool[:DUPLICATE_WINDOW]
        terms_of = [self.sentences.term_ids_of(hit.doc) for _, hit in window]  # Jaccard by ids: the same
        best = window[0][1].score
        answers = []
        for lead, copies in assemble.group_duplicates(window, terms_of):
            ref, hit = window[lead]
            floor = self.policy.min_relative_score if relative is None else relative
            if answers and (hit.score < floor * best or not self._answers(question, query, (ref, hit))):
                continue
            others = assemble.other_outlets(ref.article, [window[c][0].article for c in copies])
            matched = self.sentences.describe(query, hit).matched
            answers.append(Answer(ref=ref, score=hit.score, matched_terms=matched, also_reported_by=others))
            if len(answers) == top_k:
                break
        return answers
