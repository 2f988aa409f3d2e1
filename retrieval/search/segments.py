"""Immutable index segments: the postings of a block of documents in a few flat numpy arrays.

A segment is what Lucene calls one: written once, never changed. New documents make a new segment;
old segments are merged (or have documents dropped) by building a new one from their arrays, which
costs a sort of the postings and no analysis. Term ids come from a vocabulary shared by the segments
of one index (see term_index.Vocabulary); a segment knows the terms that existed when it was built.

Layout (CSR, term-major): `offsets[t]:offsets[t + 1]` slices `docs` and `tfs` for term id t, with the
documents ascending; `doc_len` holds each document's length in tokens (BM25's dl).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Segment:
    doc_len: np.ndarray  # int32 [documents]
    offsets: np.ndarray  # int64 [terms known at build + 1]
    docs: np.ndarray  # int32 [postings], local document ids
    tfs: np.ndarray  # int32 [postings], the term's count in the document

    @property
    def size(self) -> int:
        return len(self.doc_len)

    @property
    def terms(self) -> int:
        return len(self.offsets) - 1

    @property
    def total_len(self) -> int:
        return int(self.doc_len.sum(dtype=np.int64))

    def span(self, term: int) -> tuple[int, int]:
        """Start and end of `term`'s postings (empty for a term newer than the segment)."""
        if term >= self.terms:
            return 0, 0
        return int(self.offsets[term]), int(self.offsets[term + 1])

    def doc_freq(self, vocab_size: int) -> np.ndarray:
        """Documents holding each term id, padded with zeros to `vocab_size`."""
        counts = np.zeros(vocab_size, dtype=np.int64)
        counts[: self.terms] = np.diff(self.offsets)
        return counts

    def posting_terms(self) -> np.ndarray:
        """The term id of every posting (the inverse of `offsets`)."""
        return np.repeat(np.arange(self.terms, dtype=np.int64), np.diff(self.offsets))

    @cached_property
    def _forward(self) -> tuple[np.ndarray, np.ndarray]:
        """The postings document-major, built on first use: where each document's terms start, and
        the term ids (ascending within a document). One int32 per posting; no analysis needed."""
        order = np.argsort(self.docs, kind="stable")  # stable: each document's terms stay ascending
        starts = np.searchsorted(self.docs[order], np.arange(self.size + 1)).astype(np.int64)
        return starts, self.posting_terms()[order].astype(np.int32)

    def warm_doc_terms(self) -> None:
        """Build the doc-major view now (where the index is built, off the questions' path)."""
        self._forward  # a cached property: reading it builds it

    def doc_terms(self, doc: int) -> np.ndarray:
        """The distinct term ids of local document `doc`."""
        starts, terms = self._forward
        return terms[starts[doc] : starts[doc + 1]]


def build_segment(doc_terms: Sequence[Sequence[int]], vocab_size: int) -> Segment:
    """A segment over documents given as term-id sequences (repeats counted as term frequency)."""
    lens = np.fromiter((len(d) for d in doc_terms), dtype=np.int64, count=len(doc_terms))
    flat = np.fromiter(chain.from_iterable(doc_terms), dtype=np.int64, count=int(lens.sum()))
    return build_segment_flat(flat, lens, vocab_size)


def build_segment_flat(flat: np.ndarray, lens: np.ndarray, vocab_size: int) -> Segment:
    """A segment over documents whose term ids are laid end to end in `flat`, `lens` of them each."""
    flat, lens = np.asarray(flat, dtype=np.int64), np.asarray(lens, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    return _from_pairs(flat, doc_of, np.ones(len(flat), dtype=np.int64), lens, vocab_size, unique=False)


def _from_pairs(
    terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray, vocab_size: int, *, unique: bool
) -> Segment:
    """A segment from (term, doc, tf) triples in any order; `unique` says no (term, doc) repeats."""
    n = max(len(doc_len), 1)
    keys = terms * n + docs  # term-major, so one sort gives both the term order and ascending docs
    if unique:
        order = np.argsort(keys, kind="stable")
        keys, tfs = keys[order], tfs[order]
    else:
        keys, tfs = np.unique(keys, return_counts=True)
    terms_sorted = keys // n
    offsets = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms_sorted, minlength=vocab_size), out=offsets[1:])
    return Segment(
        doc_len=doc_len.astype(np.int32),
        offsets=offsets,
        docs=(keys % n).astype(np.int32),
        tfs=tfs.astype(np.int32),
    )


def select(segments: Sequence[Segment], picks: np.ndarray, vocab_size: int) -> Segment:
    """One segment holding documents `picks` (global ids over `segments` laid end to end) in that order.

    This is both the merge (picks = every document) and the ageing out (picks = those kept).
    """
    picks = np.asarray(picks, dtype=np.int64)
    bases = np.cumsum([0, *(s.size for s in segments)])
    new_id = np.full(int(bases[-1]), -1, dtype=np.int64)
    new_id[picks] = np.arange(len(picks), dtype=np.int64)
    parts_t, parts_d, parts_f = [], [], []
    for seg, base in zip(segments, bases[:-1], strict=False):
        ids = new_id[base + seg.docs]
        keep = ids >= 0
        parts_t.append(seg.posting_terms()[keep])
        parts_d.append(ids[keep])
        parts_f.append(seg.tfs[keep])
    if not segments:
        return build_segment([], vocab_size)
    doc_len = np.concatenate([s.doc_len for s in segments]).astype(np.int64)[picks]
    return _from_pairs(
        np.concatenate(parts_t), np.concatenate(parts_d), np.concatenate(parts_f), doc_len, vocab_size, unique=True
    )


def concat(segments: Sequence[Segment], vocab_size: int) -> Segment:
    """One segment holding `segments`' documents end to end: each posting is moved straight to its
    place (its term's start, plus the postings of that term in earlier segments, plus its rank in its
    own segment), so a merge is linear and needs no sort of all the postings."""
    counts = [s.doc_freq(vocab_size) for s in segments]
    offsets = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.sum(counts, axis=0) if counts else np.zeros(vocab_size, dtype=np.int64), out=offsets[1:])
    docs = np.empty(int(offsets[-1]), dtype=np.int32)
    tfs = np.empty(int(offsets[-1]), dtype=np.int32)
    before = offsets[:-1].copy()  # where each term's postings from the next segment go
    base = 0
    for seg, count in zip(segments, counts, strict=True):
        if len(seg.docs):
            terms = seg.posting_terms()
            dest = before[terms] + (np.arange(len(seg.docs)) - seg.offsets[terms])
            docs[dest] = seg.docs + base
            tfs[dest] = seg.tfs
        before += count
        base += seg.size
    doc_len = np.concatenate([s.doc_len for s in segments]) if segments else np.empty(0, dtype=np.int32)
    return Segment(doc_len=doc_len.astype(np.int32), offsets=offsets, docs=docs, tfs=tfs)


def merge_policy(segments: list[Segment], vocab_size: int, ratio: int = 4) -> list[Segment]:
    """Merge the newest segments while the one before is not `ratio` times larger (a log-structured
    policy: O(log n) segments, and each posting is re-sorted O(log n) times over the index's life)."""
    segments = list(segments)
    while len(segments) > 1 and segments[-2].size <= ratio * segments[-1].size:
        segments[-2:] = [concat(segments[-2:], vocab_size)]
    return segments


# Saving: one .npz of the segments' arrays, concatenated, with a JSON header of the caller's choosing.

def save_segments(path: Path, segments: Sequence[Segment], extra: dict[str, np.ndarray]) -> None:
    arrays: dict[str, np.ndarray] = {
        "sizes": np.array([s.size for s in segments], dtype=np.int64),
        "terms": np.array([s.terms for s in segments], dtype=np.int64),
        "postings": np.array([len(s.docs) for s in segments], dtype=np.int64),
    }
    for name in ("doc_len", "offsets", "docs", "tfs"):
        parts = [getattr(s, name) for s in segments]
        arrays[name] = np.concatenate(parts) if parts else np.empty(0)
    arrays.update(extra)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        np.savez(out, **arrays)
    tmp.replace(path)  # atomic: a reader sees the old snapshot or the new one, never half of one


def load_segments(path: Path) -> tuple[list[Segment], dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    segments = []
    at = {"doc_len": 0, "offsets": 0, "docs": 0}
    for size, terms, postings in zip(arrays["sizes"], arrays["terms"], arrays["postings"], strict=True):
        d, o, p = at["doc_len"], at["offsets"], at["docs"]
        segments.append(
            Segment(
                doc_len=arrays["doc_len"][d : d + size].astype(np.int32, copy=False),
                offsets=arrays["offsets"][o : o + terms + 1].astype(np.int64, copy=False),
                docs=arrays["docs"][p : p + postings].astype(np.int32, copy=False),
                tfs=arrays["tfs"][p : p + postings].astype(np.int32, copy=False),
            )
        )
        at = {"doc_len": d + size, "offsets": o + terms + 1, "docs": p + postings}
    extra = {k: v for k, v in arrays.items() if k not in ("sizes", "terms", "postings", *at, "tfs")}
    return segments, extra
