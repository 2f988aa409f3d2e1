"""BM25 scoring: rank-bm25's formulas, computed from an inverted index with numpy.

rank-bm25 scores every document in Python for each query term, which is ~100 ms at 100k sentences.
Every term's contribution to a document is fixed once the corpus is (idf, tf, length norm), so it
is computed here once per posting, with rank-bm25's own expression, and a query only adds up the
postings of its terms. The result equals `get_scores` exactly (tests/test_bm25.py checks it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi


class LuceneIdfBM25(BM25Okapi):
    """BM25Okapi with Lucene's idf, log(1 + (N - n + 0.5) / (n + 0.5)).

    Okapi's idf, log((N - n + 0.5) / (n + 0.5)), is zero or negative for a term in half the sentences
    or more; in one short article that is the article's very topic (تركيا in a story about Turkey),
    and rank-bm25 then replaces it by a flat epsilon. Lucene's idf stays positive and monotone.
    """

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5))
        self.average_idf = sum(self.idf.values()) / len(self.idf) if self.idf else 0.0


def lucene_idf(doc_freq: int, corpus_size: int) -> float:
    """Lucene's idf for any document frequency, zero included (a term the corpus lacks)."""
    return math.log(1.0 + (corpus_size - doc_freq + 0.5) / (doc_freq + 0.5))


class PostingsScorer:
    """Query-time BM25 over the precomputed postings of a fitted rank-bm25 model.

    Postings are stored term-sorted in flat arrays (CSR layout: one offset per term), so the build is
    a handful of vectorized operations and a term's postings are a slice, not an object.
    """

    def __init__(self, model: BM25Okapi) -> None:
        self.corpus_size: int = model.corpus_size
        term_ids: dict[str, int] = {}
        flat_terms: list[int] = []
        flat_docs: list[int] = []
        flat_tfs: list[int] = []
        for doc_id, freqs in enumerate(model.doc_freqs):
            for term, tf in freqs.items():
                flat_terms.append(term_ids.setdefault(term, len(term_ids)))
                flat_docs.append(doc_id)
                flat_tfs.append(tf)
        terms = np.array(flat_terms, dtype=np.int64)
        order = np.argsort(terms, kind="stable")  # stable: each term's documents stay ascending
        self.docs = np.array(flat_docs, dtype=np.int32)[order]
        q_freq = np.array(flat_tfs, dtype=np.int64)[order]
        idf = np.array([model.idf.get(t) or 0 for t in term_ids], dtype=np.float64)[terms[order]]
        dl = np.array(model.doc_len)[self.docs]
        k1, b, avgdl = model.k1, model.b, model.avgdl or 1.0
        # rank-bm25's expression, term for term, so the floating-point result is identical.
        self.weights = idf * (q_freq * (k1 + 1) / (q_freq + k1 * (1 - b + b * dl / avgdl)))
        self.term_ids = term_ids
        self.offsets = np.searchsorted(terms[order], np.arange(len(term_ids) + 1)).astype(np.int64)

    def doc_freq(self, term: str) -> int:
        t = self.term_ids.get(term)
        return 0 if t is None else int(self.offsets[t + 1] - self.offsets[t])

    def doc_freqs(self) -> dict[str, int]:
        counts = np.diff(self.offsets)
        return {term: int(counts[t]) for term, t in self.term_ids.items()}

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Document ids (ascending) holding `term`, and the term's BM25 weight in each."""
        t = self.term_ids.get(term)
        if t is None:
            return self.docs[:0], self.weights[:0]
        start, end = self.offsets[t], self.offsets[t + 1]
        return self.docs[start:end], self.weights[start:end]

    def score(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Candidate document ids (ascending) and their scores; documents sharing no term score 0."""
        hits = [self.postings(t) for t in query if t in self.term_ids]
        if not hits:
            return np.empty(0, dtype=np.int32), np.empty(0)
        acc = np.zeros(self.corpus_size)
        for docs, weights in hits:
            acc[docs] += weights
        candidates = np.unique(np.concatenate([docs for docs, _ in hits]))
        return candidates, acc[candidates]

    def top(self, query: Sequence[str], n: int) -> list[tuple[int, float]]:
        """The n best (doc id, score) pairs, best first; ties go to the lower doc id."""
        if n <= 0:
            return []
        return best(*self.score(query), n)


def best(ids: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The n best (doc id, score) pairs of candidates, best first; ties go to the lower doc id."""
    if len(ids) > n:
        # Keep every document tied with the n-th score, so the tie-break below sees all of them.
        nth = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = scores >= nth
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return [(int(ids[i]), float(scores[i])) for i in order]
