"""The topic percolator: which saved topics a new article is about, without looping over the topics.

A search index answers "which documents match this query"; alerts need the reverse, "which queries
match this document" (Elasticsearch's percolator, Lucene's Monitor). Topics are analyzed with the one
analyzer chain and kept in an inverted index from term to topics, so an article only ever meets the
topics that share a term with it: the cost follows the article's terms and their posting lists, not the
number of topics.

The match rule is the answering core's own: a topic matches when one body sentence covers enough of the
topic's informative weight (idf from the news the bot holds, so «أخبار عدن» needs عدن but not أخبار),
and among the sentences that do, BM25 picks the one to quote. An article that names the topic's words
in different sentences (عدن in one, a different «قره» in another) is not about the topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.search.bm25 import LuceneIdfBM25, PostingsScorer, lucene_idf
from retrieval.search.term_index import BM25Params

K = TypeVar("K", bound=Hashable)

# A topic is a few words or a question, never a text to analyze at length.
MAX_TOPIC_CHARS = 200
MAX_TOPIC_TERMS = 8


@dataclass(frozen=True)
class TopicPolicy:
    # Share of a topic's informative weight that one sentence must carry. With equal weights this
    # asks for every term of a topic of up to three terms; with idf weights a common word («أخبار»)
    # may be missing but a rare one («عدن») may not.
    min_coverage: float = 0.7
    # Exact terms only: an alert fired by a typo guess is worse than no alert.
    params: BM25Params = BM25Params(spelling=False)


@dataclass(frozen=True)
class TopicMatch(Generic[K]):
    topic: K
    sentence: int  # 0-based position of the quoted body sentence
    score: float  # BM25 of that sentence among the article's sentences
    coverage: float
    matched: frozenset[str]  # the topic's terms found in the sentence (for highlighting)


# How people phrase what they follow, around the topic itself: «آخر أخبار عدن», «مستجدات قره باغ»,
# «أرسل لي كل جديد عن الأمطار». These words say "news about", never what about, and a sentence of an
# article about Aden will not contain them; they are dropped from a topic (unless nothing else is left).
TOPIC_FILLER = (
    "آخر أخبار خبر الأخبار جديد جديدة الجديد مستجدات المستجدات تطورات التطورات الأخيرة أخيرة بخصوص "
    "متابعة تابع أريد أرسل لي أرسلوا شيء موضوع"
)


def topic_terms(text: str, analyzer: Analyzer = analyze) -> tuple[str, ...]:
    """The distinct index terms of a topic, in order, fillers dropped, cut to MAX_TOPIC_TERMS; () if
    none is left."""
    terms = tuple(dict.fromkeys(analyzer(text[:MAX_TOPIC_CHARS])))
    filler = _filler(analyzer)
    kept = tuple(t for t in terms if t not in filler) or terms
    return kept[:MAX_TOPIC_TERMS]


_FILLERS: dict[int, frozenset[str]] = {}


def _filler(analyzer: Analyzer) -> frozenset[str]:
    # Through the same analyzer as the topics, so every spelling of a filler meets its term.
    key = id(analyzer)
    if key not in _FILLERS:
        _FILLERS[key] = frozenset(analyzer(TOPIC_FILLER))
    return _FILLERS[key]


class TopicIndex(Generic[K]):
    """Saved topics by term. Mutable: `add` and `remove` cost the topic's few terms, not a rebuild.

    Topics with the same terms (many chats follow «عدن», spelled in many ways) share one entry, a
    signature, so an article is matched once per distinct topic however many chats follow it.
    """

    def __init__(self, policy: TopicPolicy = TopicPolicy(), analyzer: Analyzer = analyze) -> None:
        self.policy = policy
        self.analyzer = analyzer
        self._terms: dict[K, tuple[str, ...]] = {}
        self._keys: dict[tuple[str, ...], set[K]] = {}  # signature -> topics
        self._postings: dict[str, set[tuple[str, ...]]] = defaultdict(set)  # term -> signatures
        # Weights of terms and signature totals, kept while the caller's weight function is the same.
        self._weight_fn: Callable[[str], float] | None = None
        self._weights: dict[str, float] = {}
        self._totals: dict[tuple[str, ...], float] = {}

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, key: object) -> bool:
        return key in self._terms

    def add(self, key: K, text: str) -> tuple[str, ...]:
        """Index topic `key`; its terms (empty, and nothing indexed, if the text has none)."""
        self.remove(key)
        terms = topic_terms(text, self.analyzer)
        if terms:
            self._terms[key] = terms
            signature = tuple(sorted(terms))
            self._keys.setdefault(signature, set()).add(key)
            for term in terms:
                self._postings[term].add(signature)
        return terms

    def remove(self, key: K) -> None:
        terms = self._terms.pop(key, None)
        if terms is None:
            return
        signature = tuple(sorted(terms))
        keys = self._keys.get(signature)
        if keys is not None:
            keys.discard(key)
            if keys:
                return
            del self._keys[signature]
        for term in terms:
            signatures = self._postings.get(term)
            if signatures is not None:
                signatures.discard(signature)
                if not signatures:
                    del self._postings[term]

    def terms(self, key: K) -> tuple[str, ...]:
        return self._terms.get(key, ())

    def _weigh(self, term: str) -> float:
        w = self._weights.get(term)
        if w is None:
            w = self._weights[term] = self._weight_fn(term) if self._weight_fn is not None else 1.0
        return w

    def _total(self, signature: tuple[str, ...]) -> float:
        total = self._totals.get(signature)
        if total is None:
            total = self._totals[signature] = sum(self._weigh(t) for t in signature)
        return total

    def match(
        self,
        sentences: Sequence[str],
        weight: Callable[[str], float] | None = None,
        tokens: Sequence[list[str]] | None = None,
    ) -> list[TopicMatch[K]]:
        """The topics an article's body `sentences` are about, each with the sentence to quote.

        `weight` gives a term's informativeness (idf over the news held); None weighs terms equally.
        Pass the same function for a batch of articles: its values are cached until another comes.
        `tokens`, when given, are the sentences already analyzed.
        """
        if weight is not self._weight_fn:
            self._weight_fn, self._weights, self._totals = weight, {}, {}
        analyzed = list(tokens) if tokens is not None else [self.analyzer(s) for s in sentences]
        threshold = self.policy.min_coverage - 1e-9
        # Pass 1, through the postings of each sentence's terms only: (signature, sentence) pairs
        # whose sentence carries enough of the topic's weight.
        qualified: dict[tuple[str, ...], list[tuple[int, float]]] = defaultdict(list)
        postings = self._postings
        for position, sentence in enumerate(analyzed):
            got: dict[tuple[str, ...], float] = defaultdict(float)
            for term in set(sentence):
                signatures = postings.get(term)
                if signatures:
                    w = self._weigh(term)
                    for signature in signatures:
                        got[signature] += w
            for signature, have in got.items():
                total = self._total(signature)
                if total > 0 and have / total >= threshold:
                    qualified[signature].append((position, have / total))
        if not qualified:
            return []
        # Pass 2: BM25 over the article's sentences (rank-bm25's model, as the answering core scores)
        # picks, for each topic, the qualifying sentence to quote.
        scored = _SentenceWeights(analyzed, self.policy.params)
        found: list[TopicMatch[K]] = []
        for signature, positions in qualified.items():
            score, best, coverage = max((scored.score(signature, p), -p, c) for p, c in positions)
            present = set(analyzed[-best])
            matched = frozenset(t for t in signature if t in present)
            found += [TopicMatch(key, -best, score, coverage, matched) for key in self._keys[signature]]
        return found


class _SentenceWeights:
    """BM25 weight of each term in each sentence of one article, from the postings scorer."""

    def __init__(self, analyzed: Sequence[list[str]], params: BM25Params) -> None:
        self._scorer = (
            PostingsScorer(LuceneIdfBM25(list(analyzed), k1=params.k1, b=params.b)) if any(analyzed) else None
        )
        self._weights: dict[str, dict[int, float]] = {}

    def score(self, terms: Sequence[str], position: int) -> float:
        total = 0.0
        for term in terms:
            if term not in self._weights:
                if self._scorer is None:
                    self._weights[term] = {}
                else:
                    docs, weights = self._scorer.postings(term)
                    self._weights[term] = dict(zip(docs.tolist(), weights.tolist()))
            total += self._weights[term].get(position, 0.0)
        return total


def weights_from(doc_freqs: Mapping[str, int], size: int) -> Callable[[str], float]:
    """Lucene idf over a corpus's document frequencies, as the answering core weighs question terms."""
    return lambda term: lucene_idf(doc_freqs.get(term, 0), size)


__all__ = ["MAX_TOPIC_CHARS", "TopicIndex", "TopicMatch", "TopicPolicy", "topic_terms", "weights_from"]
