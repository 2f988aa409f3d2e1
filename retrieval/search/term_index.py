"""The sentence index: analyzed body sentences of every article, ranked with BM25."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.search.bm25 import LuceneIdfBM25, PostingsScorer, lucene_idf
from retrieval.search.spelling import SpellingIndex, is_guess



@dataclass(frozen=True)
class BM25Params:
    # Chosen on pooled XQuAD-ar sentences (see BENCHMARKS.md, "Retrieval quality").
    k1: float = 0.9
    b: float = 0.4
    # Read unknown question terms as the corpus term one edit away (typos).
    spelling: bool = True


@dataclass(frozen=True)
class Query:
    """A question as the index sees it: its terms, typo fixes applied, and each term's weight."""

    terms: tuple[str, ...]
    weights: dict[str, float]  # informativeness (idf) of each distinct term, unknown terms included
    corrected: dict[str, str]  # question term -> corpus term it was read as

    def guessed(self, term: str) -> bool:
        """Whether `term` was read as another by a spelling guess (so it may be wrong)."""
        return term in self.corrected and is_guess(term, self.corrected[term])

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())


@dataclass(frozen=True)
class Hit:
    doc: int
    score: float
    # Filled in by TermIndex.describe, only for the hits that are kept (it costs more than the scoring).
    coverage: float = 0.0  # share of the question's informative weight that the unit matches
    matched: frozenset[str] = frozenset()


class TermIndex:
    """BM25 over a list of texts (sentences or headlines); knows nothing of articles."""

    def __init__(
        self,
        texts: Sequence[str],
        params: BM25Params = BM25Params(),
        analyzer: Analyzer = analyze,
        tokens: Sequence[list[str]] | None = None,
    ) -> None:
        """`tokens`, when given, are the already analyzed `texts` (a rebuild reuses them)."""
        self.params = params
        self.analyzer = analyzer
        self.tokens: list[list[str]] = list(tokens) if tokens is not None else [analyzer(t) for t in texts]
        self.size = len(self.tokens)
        self.scorer: PostingsScorer | None = None
        self.doc_freqs: dict[str, int] = {}
        if any(self.tokens):
            # The fitted model is only needed to compute the postings; its per-sentence dicts are dropped.
            self.scorer = PostingsScorer(LuceneIdfBM25(self.tokens, k1=params.k1, b=params.b))
            self.doc_freqs = self.scorer.doc_freqs()
        self.spelling = SpellingIndex(self.doc_freqs)

    def query(self, text: str) -> Query:
        raw = self.analyzer(text)
        corrected = self.spelling.correct_all(dict.fromkeys(raw)) if self.params.spelling else {}
        terms = tuple(corrected.get(t, t) for t in raw)
        weights = {t: lucene_idf(self.doc_freqs.get(t, 0), self.size) for t in dict.fromkeys(raw)}
        return Query(terms=terms, weights=weights, corrected=corrected)

    def describe(self, query: Query, hit: Hit) -> Hit:
        """`hit` with its coverage of the question and the corpus terms it matched."""
        present = set(self.tokens[hit.doc])
        matched = [t for t in query.weights if query.corrected.get(t, t) in present]
        total = query.total_weight
        # A typo-corrected term earns half its weight: the correction may be a guess.
        got = sum(query.weights[t] * (0.5 if query.guessed(t) else 1.0) for t in matched)
        coverage = got / total if total else 0.0
        return replace(hit, coverage=coverage, matched=frozenset(query.corrected.get(t, t) for t in matched))

    def search(self, query: Query, n: int) -> list[Hit]:
        """The n best units by BM25 score, not yet described."""
        if self.scorer is None or not query.terms or n <= 0:
            return []
        return [Hit(doc=doc, score=score) for doc, score in self.scorer.top(query.terms, n)]
