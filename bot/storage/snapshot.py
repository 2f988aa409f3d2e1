"""The index snapshot: the sentence index's arrays in a file beside the database, so that a start (the
bot, `newsbot ask`) loads what ingest analysed instead of analysing every sentence again.

The database stays the source of truth; the file is a cache of it, checked article by article. It
lists, in document order, each article it covers: its row, a hash of its article id and its sentence
count. An article's postings are reused only when all three match the article read from the
database; any other article is analysed. A file written by another analyzer (retrieval's
fingerprint) or other BM25 parameters, or one that cannot be read, is ignored whole. Writes replace
the file atomically, so two processes writing it (the bot and `newsbot ingest`) never leave half a
file: the last one wins, and what it lacks is analysed by the next reader.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval import Article, BM25Params, Encoded, TermIndex, fingerprint

from bot.dburl import DatabaseURL

log = logging.getLogger(__name__)

FORMAT = 1


# The sentence index's file, and the titles index's (one document per article) beside it.
SENTENCES = "index"
TITLES = "titles"


def snapshot_path(database: Path | DatabaseURL | None, kind: str = SENTENCES) -> Path | None:
    """The file beside a SQLite database; None for a database server (PostgreSQL): workers on several
    hosts share no folder, so each one builds its index from the database at start."""
    if not isinstance(database, Path):
        return None
    return database.with_name(f"{database.name}.{kind}.npz")


def id_hash(article_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


@dataclass(frozen=True)
class Covered:
    """What one document block of a snapshot is: a stored article, by row, id and sentence count."""

    row: int | None  # None: not stored (a seed not yet in the database), so never reused from a file
    key: int  # id_hash of the article id
    sentences: int


def covering(rows: Sequence[int | None], articles: Sequence[Article]) -> list[Covered]:
    return [Covered(r, id_hash(a.id), len(a.sentences)) for r, a in zip(rows, articles, strict=True)]


def title_covering(rows: Sequence[int | None], articles: Sequence[Article]) -> list[Covered]:
    """Covers for the titles snapshot: one document per article, keyed by its id and title together,
    so a title that changed is analysed again."""
    return [Covered(r, id_hash(f"{a.id}\n{a.title}"), 1) for r, a in zip(rows, articles, strict=True)]


@dataclass(frozen=True)
class Snapshot:
    """A sentence index and the articles its documents belong to, in order."""

    index: TermIndex
    covers: list[Covered]

    def reuse(self, wanted: Sequence[Covered], texts: Sequence[Sequence[str]] | None = None) -> Snapshot:
        """The snapshot of `wanted` articles in that order: postings of those this one holds unchanged;
        the others analysed from their sentences `texts`, or, without `texts`, left out."""
        start: dict[Covered, int] = {}
        doc = 0
        for c in self.covers:
            if c.row is not None:
                start.setdefault(c, doc)
            doc += c.sentences
        docs: list[int] = []
        new: list[str] = []
        covers: list[Covered] = []
        for i, c in enumerate(wanted):
            first = start.pop(c, -1) if c.row is not None else -1
            if first >= 0:
                docs.extend(range(first, first + c.sentences))
            elif texts is not None:
                docs.extend([-1] * len(texts[i]))
                new.extend(texts[i])
            else:
                continue
            covers.append(c)
        return Snapshot(self.index.reassembled(docs, new), covers)

    def grown(self, covers: Sequence[Covered], sentences: Encoded) -> Snapshot:
        """This snapshot plus articles already analysed (their `sentences`, in order)."""
        return Snapshot(self.index.with_encoded(sentences), [*self.covers, *covers])

    @classmethod
    def empty(cls, params: BM25Params = BM25Params()) -> Snapshot:
        return cls(TermIndex([], params), [])


def save_snapshot(database: Path | DatabaseURL | None, snapshot: Snapshot, kind: str = SENTENCES) -> None:
    path = snapshot_path(database, kind)
    if path is None:
        return
    covers = list(snapshot.covers)
    if any(c.row is None for c in covers):  # unstored articles cannot be checked later: leave them out
        keep = [c.row is not None for c in covers]
        docs = [d for c, k, start in _blocks(covers, keep) for d in range(start, start + c.sentences) if k]
        index = snapshot.index.select(docs)
        covers = [c for c, k in zip(covers, keep, strict=True) if k]
    else:
        index = snapshot.index
    arrays = {
        "rows": np.array([c.row for c in covers], dtype=np.int64),
        "ids": np.array([c.key for c in covers], dtype=np.int64),
        "sentences": np.array([c.sentences for c in covers], dtype=np.int64),
    }
    try:
        index.save(path, {"format": FORMAT, "analyzer": fingerprint()}, arrays)
    except OSError as exc:  # a cache: failing to write it costs the next start time, nothing else
        log.warning("index snapshot not written: %s", exc)


def _blocks(covers: list[Covered], keep: list[bool]) -> list[tuple[Covered, bool, int]]:
    out, doc = [], 0
    for c, k in zip(covers, keep, strict=True):
        out.append((c, k, doc))
        doc += c.sentences
    return out


def load_snapshot(
    database: Path | DatabaseURL | None, params: BM25Params = BM25Params(), kind: str = SENTENCES
) -> Snapshot | None:
    """The snapshot beside `database`, or None when there is none usable (missing, unreadable, made by
    another analyzer); the articles it lists are checked later, in `Snapshot.reuse`."""
    path = snapshot_path(database, kind)
    if path is None or not path.exists():
        return None
    try:
        index, meta, arrays = TermIndex.load(path, params)
        rows, ids, counts = arrays["rows"], arrays["ids"], arrays["sentences"]
    except (ValueError, KeyError) as exc:
        log.warning("index snapshot ignored: %s", exc)
        return None
    if meta.get("format") != FORMAT or meta.get("analyzer") != fingerprint() or int(counts.sum()) != index.size:
        log.info("index snapshot %s is stale (another analyzer or format): rebuilding", path)
        return None
    covers = [Covered(int(r), int(h), int(n)) for r, h, n in zip(rows, ids, counts, strict=True)]
    return Snapshot(index, covers)
