"""BM25 over several segments with corpus-wide statistics, and top-n search that skips hopeless work.

rank-bm25's score is the definition (tests/test_segments.py checks equality with `get_scores`):

    score(d) = Σ over query terms q, in order:  idf(q) * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))

idf, N and avgdl are the whole index's, whatever segment a document sits in, so a document scores the
same in one segment or ten. The tf part of every posting depends only on avgdl, so it is computed
once per index state (vectorized) and a query multiplies it by the term's idf, as rank-bm25 does.

`top` is MaxScore-style: terms are taken by decreasing upper bound (idf × the largest tf part in their
postings, so rare terms first) and the documents holding them become candidates, scored exactly
(every query term looked up by binary search, summed in query order like rank-bm25). Once the n-th
best candidate's score beats the sum of the bounds of the terms not yet taken, no other document can
reach the top n or tie with it, and the long postings of the common terms are never read whole.
The result equals the exhaustive ranking bit for bit (tests/test_segments.py).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

from retrieval.search.bm25 import best, lucene_idf
from retrieval.search.segments import Segment

# Partial sums are added in another order than the exact scores, so bounds are compared with a
# margin far above float rounding (1e-16 per operation) and far below any real score difference.
SLACK = 1e-9
# A term in more than 1/COMMON_SHARE of the documents is "common": its postings are only looked up
# for the candidates when the other terms settle the top (measured on the news corpus: rarer terms'
# postings are cheaper to scatter in full than to look up, see BENCHMARKS.md).
COMMON_SHARE = 16
# ...and pruning is tried only when the common terms hold this many times the other terms' postings.
PRUNE_GAIN = 2
# `holds` reads up to this many documents through the doc-major view, more through the postings.
FEW_DOCS = 4


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
        self._local = threading.local()
        self._tfpart: list[np.ndarray] | None = None
        self._tf_max: list[np.ndarray] | None = None

    def warm(self, doc_terms: bool = False) -> None:
        """Compute the tf parts (done on first use otherwise): a state built to be saved, not queried,
        never pays for them. Two threads warming at once compute the same arrays; either result serves.
        `doc_terms` builds the segments' doc-major views too (0.8 s for the news corpus's largest
        segment: the first question after a start or a merge would otherwise wait for it)."""
        if self._tf_max is None:
            tfpart = [self._tf_part(s) for s in self.segments]
            self._tfpart = tfpart
            self._tf_max = [self._term_max(s, tp) for s, tp in zip(self.segments, tfpart, strict=True)]
        if doc_terms:
            for seg in self.segments:
                seg.warm_doc_terms()

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
        k1, b = self.k1, self.b
        # rank-bm25's expression, operation for operation, so the floats are identical; its length
        # part is an array over documents there too, so it is computed per document and gathered.
        doc_len = seg.doc_len.astype(np.int64)
        length_part = k1 * (1 - b + b * doc_len / self.avgdl)
        q_freq = seg.tfs.astype(np.int64)
        out = q_freq * (k1 + 1)
        out /= q_freq + length_part[seg.docs]
        return out

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
        if len(self.segments) == 1:  # the usual state after a load or a merge: slices, no copies
            start, end = self.segments[0].span(term)
            return self.segments[0].docs[start:end], idf * self.tfpart[0][start:end]
        docs, weights = [], []
        for seg, base, tp in zip(self.segments, self.bases, self.tfpart, strict=False):
            start, end = seg.span(term)
            docs.append(seg.docs[start:end].astype(np.int64) + base)
            weights.append(idf * tp[start:end])
        if not docs:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(docs), np.concatenate(weights)

    def doc_terms(self, doc: int) -> np.ndarray:
        """The distinct term ids of document `doc` (an index-wide id)."""
        if not 0 <= doc < self.corpus_size:
            raise IndexError(doc)
        i = bisect_right(self.bases, doc) - 1  # read per looked-at sentence: no loop over segments
        return self.segments[i].doc_terms(doc - self.bases[i])

    def contains(self, term: int, doc: int) -> bool:
        return bool(self.holds([term], np.array([doc], dtype=np.int64))[0, 0])

    def holds(self, terms: Sequence[int], docs: np.ndarray) -> np.ndarray:
        """Whether each of `docs` (index-wide ids, any order) holds each of `terms`: a bool array
        [term, doc], one binary search of a term's postings per segment for all the documents
        (a question describes its ~50 hits at once)."""
        docs = np.asarray(docs, dtype=np.int64)
        out = np.zeros((len(terms), len(docs)), dtype=bool)
        if len(docs) <= FEW_DOCS:  # the quoted answers: each document's own terms are fewer look-ups
            for col, doc in enumerate(docs.tolist()):
                if 0 <= doc < self.corpus_size:
                    own = set(self.doc_terms(doc).tolist())
                    out[:, col] = [t in own for t in terms]
            return out
        segment_of = np.searchsorted(self.bases, docs, side="right") - 1
        for k, seg in enumerate(self.segments):
            inside = np.flatnonzero(segment_of == k)
            if not len(inside):
                continue
            local = docs[inside] - self.bases[k]
            for row, term in enumerate(terms):
                start, end = seg.span(term)
                if start < end:
                    postings = seg.docs[start:end]
                    at = np.minimum(np.searchsorted(postings, local), end - start - 1)
                    out[row, inside] = postings[at] == local
        return out

    def score(self, query: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Exhaustive: candidate ids (ascending) and scores; documents sharing no term score 0."""
        terms = self._known(query)
        if not terms:
            return np.empty(0, dtype=np.int64), np.empty(0)
        acc = self._scratch()
        for t in terms:
            self._add(acc, t, 1)
        # Weights are > 0, so the touched documents are the non-zero ones (measured: a scan of every
        # document beats sorting the postings, np.unique, at every query length of the news corpus).
        candidates = np.flatnonzero(acc != 0)  # a bool array is scanned ~4x faster than the floats
        scores = acc[candidates]
        acc[candidates] = 0.0  # leave the scratch all zeros for the next question
        return candidates, scores

    def _add(self, acc: np.ndarray, term: int, times: int) -> None:
        """acc[d] += times × (term's weight in d) for every document d holding `term`, segment by
        segment into views of `acc` (no concatenated copy of the postings); the same floats as
        adding `postings(term)` (times = 1 adds the weight itself, as rank-bm25 does)."""
        idf = self.idf(term)
        for seg, base, tp in zip(self.segments, self.bases, self.tfpart, strict=False):
            start, end = seg.span(term)
            if start < end:
                weights = idf * tp[start:end]
                # add.at: a term's documents are distinct, so this is `view[docs] += weights`, ~2x faster
                np.add.at(acc[base : base + seg.size], seg.docs[start:end], weights if times == 1 else times * weights)

    def _scratch(self) -> np.ndarray:
        """An all-zero array over the documents, one per thread (questions run in threads)."""
        acc = getattr(self._local, "acc", None)
        if acc is None:
            acc = self._local.acc = np.zeros(self.corpus_size)
        return acc

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
        if n <= 0 or not self._known(query):
            return []
        return best(*self.candidates(query, n), n)

    def candidates(self, query: Sequence[int], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The documents `top` has to score for the n best, with their exact scores.

        The common terms (postings longer than 1/COMMON_SHARE of the corpus) are set aside; the other
        terms are scored in full. If the n-th best of those partial scores beats the most the common
        terms can add (the sum of their bounds), a document holding only common terms cannot reach
        the top n, nor tie with it, and only documents within that reach of the n-th are scored
        exactly, with the common terms looked up for them alone. Otherwise every posting is scored.
        """
        terms = self._known(query)
        counts: dict[int, int] = {}
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        common = [t for t in counts if self.doc_freq(t) * COMMON_SHARE > self.corpus_size]
        skipped = sum(self.doc_freq(t) for t in common)
        if skipped <= PRUNE_GAIN * sum(self.doc_freq(t) for t in counts if t not in common):
            return self.score(query)  # too little to skip to pay for the look-ups
        partial = np.zeros(self.corpus_size)
        for t, m in counts.items():
            if t not in common:
                self._add(partial, t, m)  # the score without the common terms, up to rounding
        pool = np.flatnonzero(partial != 0)
        if len(pool) < n:
            return self.score(query)
        scores = partial[pool]
        nth = float(np.partition(scores, len(pool) - n)[len(pool) - n])
        reach = sum(counts[t] * self.idf(t) * self._max_tf_part(t) for t in common) * (1 + SLACK)
        if reach >= nth * (1 - SLACK):
            return self.score(query)
        keep = pool[scores * (1 + SLACK) + reach >= nth * (1 - SLACK)]
        return keep, self.exact(query, keep)

    def _docs(self, term: int) -> np.ndarray:
        parts = []
        for seg, base in zip(self.segments, self.bases, strict=False):
            start, end = seg.span(term)
            if end > start:
                parts.append(seg.docs[start:end].astype(np.int64) + base)
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def _max_tf_part(self, term: int) -> float:
        return max((float(m[term]) for m in self.tf_max if term < len(m)), default=0.0)
