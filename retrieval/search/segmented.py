"""BM25 over several segments with corpus-wide statistics, and top-n search that skips hopeless work.

rank-bm25's score is the definition (tests/test_segments.py checks equality with `get_scores`):

    score(d) = Σ over query terms q, in order:  idf(q) * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))

idf, N and avgdl are the whole index's, whatever segment a document sits in, so a document scores the
same in one segment or ten. The tf part of every posting depends only on avgdl, so it is computed
once per index state (vectorized) and a query multiplies it by the term's idf, as rank-bm25 does.

`top` is MaxScore-style: terms are taken by decreasing upper bound (idf × the largest tf part in their
postings, so rare terms first); once the n-th best partial score beats the sum of the bounds of the
terms not yet taken, no document they alone hold can reach the top n, and those terms are only looked
up (binary search) for the few candidates left. Candidates are then scored exactly, term by term in
query order, so scores and ties equal the exhaustive scorer's bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.search.bm25 import lucene_idf
from retrieval.search.segments import Segment

# Partial sums are added in another order than the exact scores, so bounds are compared with a
# margin far above float rounding (1e-16 per operation) and far below any real score difference.
SLACK = 1e-9


class SegmentedBM25:
    """A frozen state of the index: its segments, global statistics and the tf part of each posting."""

    def __init__(self, segments: Sequence[Segment], vocab_size: int, k1: float, b: float) -> None:
        self.segments = tuple(segments)
        self.vocab_size = vocab_size
        self.k1, self.b = k1, b
        self.bases = [int(x) for x in np.cumsum([0, *(s.size for s in self.segments)])]
        self.corpus_size = self.bases[-1]
        total = sum(s.total_len for s in self.segments)
        # rank-bm25: avgdl = num_doc / corpus_size, in Python floats.
        self.avgdl = (total / self.corpus_size if self.corpus_size else 0.0) or 1.0
        self.df = np.zeros(vocab_size, dtype=np.int64)
        for s in self.segments:
            self.df += s.doc_freq(vocab_size)
        self._tfpart: list[np.ndarray] | None = None
        self._tf_max: list[np.ndarray] | None = None

    def warm(self) -> None:
        """Compute the tf parts (done on first use otherwise): a state built to be saved, not queried,
        never pays for them. Two threads warming at once compute the same arrays; either result serves."""
        if self._tf_max is None:
            tfpart = [self._tf_part(s) for s in self.segments]
            self._tfpart = tfpart
            self._tf_max = [self._term_max(s, tp) for s, tp in zip(self.segments, tfpart, strict=True)]

    @property
    def tfpart(self) -> list[np.ndarray]:
        if self._tfpart is None:
            self.warm()
        assert self._tfpart is not None
        return self._tfpart

    @property
    def tf_max(self) -> list[np.ndarray]:
        if self._tf_max is None:
            self.warm()
        assert self._tf_max is not None
        return self._tf_max

    def _tf_part(self, seg: Segment) -> np.ndarray:
        q_freq = seg.tfs.astype(np.int64)
        doc_len = seg.doc_len.astype(np.int64)[seg.docs]
        k1, b = self.k1, self.b
        # rank-bm25's expression, operation for operation, so the floats are identical.
        return q_freq * (k1 + 1) / (q_freq + k1 * (1 - b + b * doc_len / self.avgdl))

    @staticmethod
    def _term_max(seg: Segment, tfpart: np.ndarray) -> np.ndarray:
        best = np.zeros(seg.terms)
        has = np.diff(seg.offsets) > 0
        if len(tfpart):
            best[has] = np.maximum.reduceat(tfpart, seg.offsets[:-1][has])
        return best

    def doc_freq(self, term: int) -> int:
        return int(self.df[term]) if 0 <= term < self.vocab_size else 0

    def idf(self, term: int) -> float:
        return lucene_idf(self.doc_freq(term), self.corpus_size)

    def _known(self, query: Sequence[int]) -> list[int]:
        return [t for t in query if self.doc_freq(t) > 0]

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Global document ids (ascending) holding `term`, and its rank-bm25 weight in each."""
        idf = self.idf(term)
        docs, weights = [], []
        for seg, base, tp in zip(self.segments, self.bases, self.tfpart, strict=False):
            start, end = seg.span(term)
            docs.append(seg.docs[start:end].astype(np.int64) + base)
            weights.append(idf * tp[start:end])
        if not docs:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(docs), np.concatenate(weights)

    def contains(self, term: int, doc: int) -> bool:
        for seg, base in zip(self.segments, self.bases, strict=False):
            if base <= doc < base + seg.size:
                start, end = seg.span(term)
                at = start + int(np.searchsorted(seg.docs[start:end], doc - base))
                return at < end and int(seg.docs[at]) == doc - base
        return False

    def score(self, query: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Exhaustive: candidate ids (ascending) and scores; documents sharing no term score 0."""
        terms = self._known(query)
        if not terms:
            return np.empty(0, dtype=np.int64), np.empty(0)
        acc = np.zeros(self.corpus_size)
        for t in terms:
            docs, weights = self.postings(t)
            acc[docs] += weights
        hit = np.zeros(self.corpus_size, dtype=bool)
        for t in dict.fromkeys(terms):
            hit[self.postings(t)[0]] = True
        candidates = np.flatnonzero(hit)
        return candidates, acc[candidates]

    def exact(self, query: Sequence[int], candidates: np.ndarray) -> np.ndarray:
        """Scores of `candidates` (ascending ids), summed term by term in query order like rank-bm25."""
        scores = np.zeros(len(candidates))
        for t in self._known(query):
            idf = self.idf(t)
            contrib = np.zeros(len(candidates))
            for seg, base, tp in zip(self.segments, self.bases, self.tfpart, strict=False):
                lo, hi = np.searchsorted(candidates, [base, base + seg.size])
                start, end = seg.span(t)
                if lo == hi or start == end:
                    continue
                local = candidates[lo:hi] - base
                at = np.searchsorted(seg.docs[start:end], local)
                found = at < end - start
                found[found] = seg.docs[start + at[found]] == local[found]
                part = np.zeros(hi - lo)
                part[found] = idf * tp[start + at[found]]
                contrib[lo:hi] = part
            scores += contrib
        return scores

    def top(self, query: Sequence[int], n: int) -> list[tuple[int, float]]:
        """The n best (doc id, score) pairs, best first, ties to the lower id: equal to ranking
        `score(query)` exhaustively, with far fewer postings touched on long queries."""
        terms = self._known(query)
        if n <= 0 or not terms:
            return []
        counts: dict[int, int] = {}
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        bound = {t: m * self.idf(t) * self._max_tf_part(t) for t, m in counts.items()}
        order = sorted(counts, key=lambda t: (-bound[t], self.doc_freq(t)))
        rest = [sum(bound[t] for t in order[i + 1 :]) * (1 + SLACK) for i in range(len(order))]
        acc = np.zeros(self.corpus_size)
        parts: list[np.ndarray] = []
        touched = np.empty(0, dtype=np.int64)
        theta = 0.0
        for i, t in enumerate(order):
            docs, weights = self.postings(t)
            acc[docs] += counts[t] * weights
            parts.append(docs)
            small = sum(len(p) for p in parts) < self.corpus_size // 8
            touched = np.unique(np.concatenate(parts)) if small else np.flatnonzero(acc)
            if len(touched) >= n:
                partial = acc[touched]
                theta = float(np.partition(partial, len(partial) - n)[len(partial) - n])
                if rest[i] < theta * (1 - SLACK):
                    break
        reach = acc[touched] * (1 + SLACK) + rest[i]
        candidates = touched[reach >= theta * (1 - SLACK)] if len(touched) >= n else touched
        return _best(candidates, self.exact(query, candidates), n)

    def _max_tf_part(self, term: int) -> float:
        return max((float(m[term]) for m in self.tf_max if term < len(m)), default=0.0)


def _best(ids: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    if len(ids) > n:
        # Keep every document tied with the n-th score, so the tie-break below sees all of them.
        nth = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = scores >= nth
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return [(int(ids[i]), float(scores[i])) for i in order]
