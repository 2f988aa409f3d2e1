"""The sentence index: analyzed texts (sentences or headlines) ranked with BM25, grown in segments.

A TermIndex is an immutable snapshot. `with_texts` returns a new one holding more texts: their
analysis makes a new segment, small segments merge (segments.merge_policy), and the old snapshot
keeps answering meanwhile. `select` keeps some texts (ageing out) without analysing anything again.
`save`/`load` write and read its arrays to one file, so a restart needs no analysis either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.analysis.analyzer import Analyzer, analyze
from retrieval.search.bm25 import lucene_idf
from retrieval.search.segmented import SegmentedBM25
from retrieval.search.segments import (
    Segment,
    build_segment,
    build_segment_flat,
    concat,
    load_segments,
    merge_policy,
    save_segments,
    select,
)
from retrieval.search.spelling import SpellingIndex, is_guess

# Questions asked again (the same headline from many chats, a retry) skip analysis and typo lookup.
QUERY_CACHE = 4096
# Documents whose terms (terms_of) are kept once read: a question reads ~100, several times each.
TERMS_CACHE = 4096
# Texts analysed per step of a build from scratch (bounds the token lists held at once).
BUILD_CHUNK = 20_000


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


class Vocabulary:
    """Term ↔ id, append-only and shared by the snapshots of one index: an older snapshot simply has
    no postings (document frequency 0) for the ids added after it."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.terms: list[str] = list(terms)
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.terms)}

    def __len__(self) -> int:
        return len(self.terms)

    def add(self, tokens: Sequence[str]) -> list[int]:
        ids, terms = self.ids, self.terms
        out = []
        for t in tokens:
            i = ids.get(t)
            if i is None:
                i = ids[t] = len(terms)
                terms.append(t)
            out.append(i)
        return out


@dataclass(frozen=True)
class Encoded:
    """Analysed documents in a compact form to send between processes: their own vocabulary, each
    term as an index into it (documents end to end) and each document's number of terms."""

    terms: list[str]
    ids: np.ndarray  # int32
    lengths: np.ndarray  # int32

    @classmethod
    def of(cls, docs: Sequence[Sequence[str]]) -> Encoded:
        vocab = Vocabulary()
        ids = [i for doc in docs for i in vocab.add(doc)]
        return cls(vocab.terms, np.array(ids, dtype=np.int32), np.array([len(d) for d in docs], dtype=np.int32))

    @classmethod
    def analysed(cls, texts: Sequence[str]) -> Encoded:
        """`texts` through the analyzer chain: what a worker process sends back for the index."""
        return cls.of([analyze(t) for t in texts])

    def subset(self, keep: np.ndarray) -> Encoded:
        """The documents where `keep` (one bool per document) is true."""
        keep = np.asarray(keep, dtype=bool)
        return Encoded(self.terms, self.ids[np.repeat(keep, self.lengths)], self.lengths[keep])

    def __add__(self, other: Encoded) -> Encoded:
        """Both documents lists, one after the other (the vocabularies merged)."""
        merged = Vocabulary(self.terms)
        mapping = np.array(merged.add(other.terms), dtype=np.int32)
        return Encoded(merged.terms, np.concatenate([self.ids, mapping[other.ids]]).astype(np.int32),
                       np.concatenate([self.lengths, other.lengths]).astype(np.int32))


class DocFreqs(Mapping[str, int]):
    """Document frequency by term, read from the arrays (for typo correction) without a dict of its own."""

    def __init__(self, vocab: Vocabulary, scorer: SegmentedBM25) -> None:
        self._vocab, self._scorer = vocab, scorer

    def __getitem__(self, term: str) -> int:
        i = self._vocab.ids.get(term)
        freq = 0 if i is None else self._scorer.doc_freq(i)
        if not freq:
            raise KeyError(term)
        return freq

    def __contains__(self, term: object) -> bool:
        i = self._vocab.ids.get(term) if isinstance(term, str) else None
        return i is not None and self._scorer.doc_freq(i) > 0

    def __iter__(self) -> Iterator[str]:
        return (t for t in self._vocab.terms if t in self)

    def __len__(self) -> int:
        return int(np.count_nonzero(self._scorer.df))


def _segments(
    vocab: Vocabulary,
    segments: list[Segment],
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]] | None,
    analyzer: Analyzer,
) -> list[Segment]:
    """`segments` plus the documents `texts` (or their `tokens`), analysed BUILD_CHUNK at a time so that
    only one chunk's token lists are alive at once; the chunks are merged into one segment."""
    count = len(tokens) if tokens is not None else len(texts)
    if count <= BUILD_CHUNK:
        docs = tokens if tokens is not None else [analyzer(t) for t in texts]
        return merge_policy([*segments, build_segment([vocab.add(d) for d in docs], len(vocab))], len(vocab))
    parts = []
    for start in range(0, count, BUILD_CHUNK):
        docs = tokens[start : start + BUILD_CHUNK] if tokens is not None else [
            analyzer(t) for t in texts[start : start + BUILD_CHUNK]
        ]
        parts.append(build_segment([vocab.add(d) for d in docs], len(vocab)))
    return merge_policy([*segments, concat(parts, len(vocab))], len(vocab))


class TermIndex:
    """BM25 over a list of texts (sentences or headlines); knows nothing of articles."""

    def __init__(
        self,
        texts: Sequence[str],
        params: BM25Params = BM25Params(),
        analyzer: Analyzer = analyze,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """`tokens`, when given, are the already analyzed `texts` (stored at ingest, say)."""
        vocab = Vocabulary()
        self._setup(params, analyzer, vocab, _segments(vocab, [], texts, tokens, analyzer),
                    lru_cache(maxsize=QUERY_CACHE)(analyzer))

    def _setup(
        self, params: BM25Params, analyzer: Analyzer, vocab: Vocabulary, segments: list[Segment], cached: Analyzer
    ) -> None:
        self.params = params
        self.analyzer = analyzer
        self.vocab = vocab
        self.scorer = SegmentedBM25(segments, len(vocab), params.k1, params.b)
        self.size = self.scorer.corpus_size
        self.doc_freqs = DocFreqs(vocab, self.scorer)
        self.spelling = SpellingIndex(self.doc_freqs, vocab.ids)
        self._has_terms = bool(self.scorer.df.any())
        self._analyze_question = cached  # shared with the snapshots that follow: analysis never changes
        # Per snapshot: typo fixes and weights depend on the vocabulary and statistics of this one.
        self.query = lru_cache(maxsize=QUERY_CACHE)(self._query)  # type: ignore[method-assign]
        self._terms_read: dict[int, frozenset[int]] = {}  # see term_ids_of

    def _derived(self, segments: list[Segment]) -> TermIndex:
        index = object.__new__(TermIndex)
        index._setup(self.params, self.analyzer, self.vocab, segments, self._analyze_question)
        return index

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.scorer.segments

    def with_texts(self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None) -> TermIndex:
        """This index plus `texts` as the documents that follow; this snapshot is left as it was."""
        if not (len(tokens) if tokens is not None else len(texts)):
            return self
        return self._derived(_segments(self.vocab, list(self.segments), texts, tokens, self.analyzer))

    def with_encoded(self, encoded: Encoded) -> TermIndex:
        """This index plus documents analysed elsewhere (a worker process) and `encode`d there."""
        if not len(encoded.lengths):
            return self
        mapping = np.array(self.vocab.add(encoded.terms), dtype=np.int64)
        segment = build_segment_flat(mapping[encoded.ids], encoded.lengths, len(self.vocab))
        return self._derived(merge_policy([*self.segments, segment], len(self.vocab)))

    def select(self, docs: Sequence[int] | np.ndarray) -> TermIndex:
        """An index of documents `docs` of this one, in that order (ids renumbered 0, 1, ...)."""
        return self._derived([select(self.segments, np.asarray(docs, dtype=np.int64), len(self.vocab))])

    def reassembled(
        self, docs: Sequence[int], texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None
    ) -> TermIndex:
        """An index whose i-th document is this one's document `docs[i]`, or, where `docs[i]` is -1,
        the next of `texts` (analysed, unless `tokens` holds their analysis). Documents this one
        holds in the same order cost nothing; dropped or reordered ones cost a sort of the postings."""
        docs = np.asarray(docs, dtype=np.int64)
        old = docs[docs >= 0]
        kept = self if np.array_equal(old, np.arange(self.size)) else self.select(old)
        grown = kept.with_texts(texts, tokens)
        fresh = docs < 0
        if not fresh.any() or fresh[np.argmax(fresh):].all():
            return grown  # the new documents, if any, all come last: already in place
        place = np.empty(len(docs), dtype=np.int64)
        place[~fresh] = np.arange(len(old))
        place[fresh] = len(old) + np.arange(int(fresh.sum()))
        return grown.select(place)

    def doc_terms(self, doc: int) -> dict[str, int]:
        """The terms of document `doc` with their counts (a scan of its segment: for checks, not queries)."""
        for seg, base in zip(self.segments, self.scorer.bases, strict=False):
            if base <= doc < base + seg.size:
                at = np.flatnonzero(seg.docs == doc - base)
                terms = np.searchsorted(seg.offsets, at, side="right") - 1
                return {self.vocab.terms[t]: int(f) for t, f in zip(terms, seg.tfs[at], strict=True)}
        raise IndexError(doc)

    def _query(self, text: str) -> Query:
        raw = self._analyze_question(text)
        spell = self.params.spelling and self._has_terms  # an empty index has nothing to correct towards
        corrected = self.spelling.correct_all(dict.fromkeys(raw)) if spell else {}
        terms = tuple(corrected.get(t, t) for t in raw)
        weights = {t: lucene_idf(self.doc_freqs.get(t, 0), self.size) for t in dict.fromkeys(raw)}
        return Query(terms=terms, weights=weights, corrected=corrected)

    def term_ids_of(self, doc: int) -> frozenset[int]:
        """The distinct term ids of document `doc`, from the doc-major view of the postings (built
        once per segment, then a slice per document: for the few documents a question looks at)."""
        found = self._terms_read.get(doc)
        if found is None:
            # A question reads a candidate's terms several times (its own, as a neighbour or lead of
            # other candidates, for duplicates): the last TERMS_CACHE documents read are kept, as
            # sets of ids (readers intersect them with the question's few terms; no strings built).
            found = frozenset(self.scorer.doc_terms(doc).tolist())  # tolist: no numpy scalars
            if len(self._terms_read) >= TERMS_CACHE:
                self._terms_read.clear()
            self._terms_read[doc] = found
        return found

    def terms_of(self, doc: int) -> frozenset[str]:
        """The distinct index terms of document `doc`."""
        terms = self.vocab.terms
        return frozenset([terms[i] for i in self.term_ids_of(doc)])

    def held_by(self, doc: int, terms: frozenset[str]) -> frozenset[str]:
        """Those of `terms` that document `doc` holds (`terms & terms_of(doc)`, read by id)."""
        ids, held = self.vocab.ids, self.term_ids_of(doc)
        return frozenset([t for t in terms if ids.get(t, -1) in held])

    def describe(self, query: Query, hit: Hit) -> Hit:
        """`hit` with its coverage of the question and the corpus terms it matched."""
        return self.describe_all(query, [hit])[0]

    def describe_all(self, query: Query, hits: Sequence[Hit]) -> list[Hit]:
        """Each of `hits` described (see `describe`): the postings of each question term are searched
        once for all the hits, not once per hit."""
        if not hits:
            return []
        ids = self.vocab.ids
        docs = np.fromiter((h.doc for h in hits), dtype=np.int64, count=len(hits))
        known = {t: i for t in query.weights if (i := ids.get(query.corrected.get(t, t))) is not None}
        # question term -> whether each hit holds it (as read in the corpus)
        holds = dict(zip(known, self.scorer.holds(list(known.values()), docs).tolist(), strict=True))
        total = query.total_weight
        # A typo-corrected term earns half its weight: the correction may be a guess.
        factor = {t: 0.5 if query.guessed(t) else 1.0 for t in holds}
        out = []
        for j, hit in enumerate(hits):
            matched = [t for t in holds if holds[t][j]]  # in query.weights order, as the sum was
            got = sum(query.weights[t] * factor[t] for t in matched)
            coverage = got / total if total else 0.0
            out.append(Hit(hit.doc, hit.score, coverage, frozenset(query.corrected.get(t, t) for t in matched)))
        return out

    def search(self, query: Query, n: int) -> list[Hit]:
        """The n best units by BM25 score, not yet described."""
        ids = self.vocab.ids
        terms = [i for t in query.terms if (i := ids.get(t)) is not None]
        if not terms or n <= 0:
            return []
        return [Hit(doc=doc, score=score) for doc, score in self.scorer.top(terms, n)]

    # Persistence -------------------------------------------------------------------------------

    def save(self, path: Path, meta: Mapping[str, object], arrays: Mapping[str, np.ndarray] | None = None) -> None:
        """Write the arrays and vocabulary to `path` (atomically), with the caller's `meta` (JSON) and
        `arrays` (say, where each document came from) to check the file against later."""
        header = {"meta": dict(meta), "k1": self.params.k1, "b": self.params.b, "arrays": sorted(arrays or {})}
        extra = {f"x_{name}": np.asarray(value) for name, value in (arrays or {}).items()}
        extra["vocab"] = np.frombuffer("\n".join(self.vocab.terms).encode("utf-8"), dtype=np.uint8)
        extra["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        save_segments(path, self.segments, extra)

    @classmethod
    def load(
        cls, path: Path, params: BM25Params = BM25Params(), analyzer: Analyzer = analyze
    ) -> tuple[TermIndex, dict[str, object], dict[str, np.ndarray]]:
        """An index saved by `save`, its meta and arrays; ValueError if the file does not hold one."""
        try:
            segments, extra = load_segments(path)
            header = json.loads(extra["header"].tobytes().decode("utf-8"))
            text = extra["vocab"].tobytes().decode("utf-8")
            arrays = {name: extra[f"x_{name}"] for name in header["arrays"]}
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"not an index snapshot: {path} ({exc})") from None
        if (header.get("k1"), header.get("b")) != (params.k1, params.b):
            raise ValueError(f"index snapshot {path} has other BM25 parameters")
        vocab = Vocabulary(text.split("\n") if text else [])
        if any(s.terms > len(vocab) for s in segments):
            raise ValueError(f"index snapshot {path} is inconsistent")
        index = object.__new__(cls)
        index._setup(params, analyzer, vocab, segments, lru_cache(maxsize=QUERY_CACHE)(analyzer))
        return index, header["meta"], arrays
