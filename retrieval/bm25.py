"""BM25 scoring: rank-bm25's formulas, computed from an inverted index with numpy.

rank-bm25 scores every document in Python for each query term, which is ~100 ms at 100k sentences.
Every term's contribution to a document is fixed once the corpus is (idf, tf, length norm), so it
is computed here once per posting, with rank-bm25's own expression, and a query only adds up the
postings of its terms. The result equals `get_scores` exactly (tests/test_bm25.py checks it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Posting:
    docs: np.ndarray  # int32 document ids, ascending
    weights: np.ndarray  # float64 BM25 contribution of the term to each of those documents


class PostingsScorer:
    """Query-time BM25 over precomputed postings of a fitted rank-bm25 model."""

    def __init__(self, model: BM25Okapi) -> None:
        self.corpus_size: int = model.corpus_size
        doc_len = np.array(model.doc_len)
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        for doc_id, freqs in enumerate(model.doc_freqs):
            for term, tf in freqs.items():
                entry = by_term.setdefault(term, ([], []))
                entry[0].append(doc_id)
                entry[1].append(tf)
        k1, b, avgdl = model.k1, model.b, model.avgdl or 1.0
        self.postings: dict[str, Posting] = {}
        for term, (docs, tfs) in by_term.items():
            ids = np.array(docs, dtype=np.int32)
            q_freq = np.array(tfs)
            dl = doc_len[ids]
            # rank-bm25's expression, term for term, so the floating-point result is identical.
            weights = (model.idf.get(term) or 0) * (q_freq * (k1 + 1) / (q_freq + k1 * (1 - b + b * dl / avgdl)))
            self.postings[term] = Posting(ids, weights)

    def doc_freq(self, term: str) -> int:
        posting = self.postings.get(term)
        return 0 if posting is None else len(posting.docs)

    def score(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Candidate document ids (ascending) and their scores; documents sharing no term score 0."""
        hits = [self.postings[t] for t in query if t in self.postings]
        if not hits:
            return np.empty(0, dtype=np.int32), np.empty(0)
        acc = np.zeros(self.corpus_size)
        for posting in hits:
            acc[posting.docs] += posting.weights
        candidates = np.unique(np.concatenate([p.docs for p in hits]))
        return candidates, acc[candidates]

    def top(self, query: Sequence[str], n: int) -> list[tuple[int, float]]:
        """The n best (doc id, score) pairs, best first; ties go to the lower doc id."""
        ids, scores = self.score(query)
        if n <= 0:
            return []
        if len(ids) > n:
            # Keep every document tied with the n-th score, so the tie-break below sees all of them.
            nth = np.partition(scores, len(scores) - n)[len(scores) - n]
            keep = scores >= nth
            ids, scores = ids[keep], scores[keep]
        order = np.lexsort((ids, -scores))[:n]
        return [(int(ids[i]), float(scores[i])) for i in order]
