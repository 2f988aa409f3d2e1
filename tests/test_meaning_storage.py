"""Article vectors kept beside their articles (issue 19), on a SQLite file and on PostgreSQL: stored in
the article's transaction, read back as written, stale under another model, and made at ingest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from retrieval.meaning.encoder import HashEncoder
from retrieval.meaning.vectors import ArticleVectors, embed_articles, model_key

from bot.intake.bulk import ingest_files
from bot.intake.embedding import sentence_since
from bot.storage import Storage
from bot.storage import vectors as stored_vectors
from tests.test_bot_storage import make_article

ENCODER = HashEncoder()
MODEL = model_key(ENCODER)


def assert_same(got: ArticleVectors, want: ArticleVectors) -> None:
    assert got.story.dtype == np.float32 and np.abs(got.story - want.story).max() < 1e-3
    if want.sentences is None:
        assert got.sentences is None
    else:
        assert got.sentences is not None and got.sentences.shape == want.sentences.shape
        assert np.abs(got.sentences - want.sentences).max() < 1e-3


async def test_vectors_are_stored_with_their_article_and_read_back(database: Path | str) -> None:
    one, two, three = (make_article(n) for n in (1, 2, 3))
    v1, v2 = embed_articles(ENCODER, [one], sentences=True)[0], embed_articles(ENCODER, [two])[0]
    async with await Storage.open(database) as storage:
        r1 = await storage.add_article(one, vectors=v1, model=MODEL)
        r2, r3 = await storage.add_articles([two, three], vectors=[v2, None], model=MODEL)
        assert r1 and r2 and r3
        got = await storage.article_vectors(MODEL)
        assert sorted(got) == [r1, r2]  # three was stored without vectors
        assert_same(got[r1], v1)
        assert_same(got[r2], v2)
        assert await storage.vector_counts(MODEL) == (2, 1)
        assert await storage.unembedded(MODEL, 10) == [r3]
        assert await storage.lacking_sentences(MODEL, "0000", 10) == [r2]
        # Compact: float16, two bytes a value.
        row = await storage._fetchone("SELECT story, sentences FROM article_vectors WHERE article = ?", (r1,))
        assert row is not None and len(row[0]) == 2 * ENCODER.dim and len(row[1]) == 2 * 2 * ENCODER.dim
        # Deleting the article deletes its vectors.
        await storage._transaction([("DELETE FROM articles WHERE id = ?", (r1,))])
        assert sorted(await storage.article_vectors(MODEL)) == [r2]


async def test_a_duplicate_stores_no_vectors(database: Path | str) -> None:
    article = make_article(1)
    vectors = embed_articles(ENCODER, [article])[0]
    async with await Storage.open(database) as storage:
        row = await storage.add_article(article, vectors=vectors, model=MODEL)
        assert await storage.add_article(article, vectors=embed_articles(ENCODER, [make_article(9)])[0], model=MODEL) is None
        assert_same((await storage.article_vectors(MODEL))[row], vectors)
        assert await storage.vector_counts(MODEL) == (1, 0)


async def test_vectors_of_another_model_are_stale(database: Path | str) -> None:
    article = make_article(1)
    async with await Storage.open(database) as storage:
        row = await storage.add_article(article, vectors=embed_articles(ENCODER, [article])[0], model="hash-v0/title-v1")
        assert await storage.article_vectors(MODEL) == {}
        assert await storage.unembedded(MODEL, 10) == [row]
        fresh = embed_articles(ENCODER, [article], sentences=True)[0]
        assert await storage.store_vectors(MODEL, [(row, fresh), (row + 100, fresh)]) == 1  # a gone row is skipped
        assert await storage.unembedded(MODEL, 10) == []
        assert_same((await storage.article_vectors(MODEL))[row], fresh)
        assert await storage.vector_counts("hash-v0/title-v1") == (0, 0)  # replaced, not kept twice


async def test_sentence_vectors_are_read_only_within_the_window(database: Path | str) -> None:
    old, new = make_article(1, datetime(2015, 8, 1, tzinfo=timezone.utc)), make_article(2, datetime(2015, 8, 11, tzinfo=timezone.utc))
    async with await Storage.open(database) as storage:
        rows = await storage.add_articles([old, new], vectors=embed_articles(ENCODER, [old, new], sentences=True), model=MODEL)
        assert await storage.newest_article_time() == "2015-08-11T00:00:00+00:00"
        since = sentence_since(await storage.newest_article_time(), 1.0)
        assert since == datetime(2015, 8, 10, tzinfo=timezone.utc)
        got = await storage.article_vectors(MODEL, sentences_since="2015-08-10T00:00:00+00:00")
        assert got[rows[0]].sentences is None and got[rows[1]].sentences is not None


def write_files(folder: Path, n: int, published: datetime | None, tag: str = "") -> list[tuple[Path, Path | None]]:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = f"خبر رقم {i} {tag} عن الاقتصاد.\nوقال الوزير إن النمو بلغ {i} في المئة."
        (folder / f"{folder.name}{i}.txt").write_text(text, "utf-8")
        meta = {"title": f"عنوان الخبر {i} {tag}", "published": published.isoformat() if published else None}
        (folder / f"{folder.name}{i}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return [(p, folder) for p in sorted(folder.glob("*.txt"))]


@pytest.mark.parametrize("files", [3, 210])  # in this process, and in worker processes (PARALLEL_MIN = 200)
async def test_bulk_ingest_stores_each_articles_vectors(tmp_path: Path, files: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stored_vectors, "READ_PAGE", 7)  # read back in pages of 7: every page, each row once
    today = datetime.now(timezone.utc) - timedelta(hours=1)
    paths = write_files(tmp_path / "news", files, today)
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        summary = await ingest_files(storage, paths, tmp_path / "db.sqlite3", encoder="hash", sentence_days=1.0)
        assert summary.added == files
        got = await storage.article_vectors(MODEL)
        stored = dict(await storage.all_articles())
        assert sorted(got) == sorted(stored)
        for row, article in stored.items():
            assert_same(got[row], embed_articles(ENCODER, [article], sentences=True)[0])  # today's news: sentences too


async def test_bulk_ingest_of_an_archive_embeds_stories_and_none_embeds_nothing(tmp_path: Path) -> None:
    old = datetime(2015, 8, 1, tzinfo=timezone.utc)
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        # An archive into an empty database: the window is the last day before now, so stories only.
        await ingest_files(storage, write_files(tmp_path / "a", 3, old, "أ"), None, encoder="hash", sentence_days=1.0)
        assert await storage.vector_counts(MODEL) == (3, 0)
        # Once the database holds it, news of its newest day gets sentence vectors at ingest.
        await ingest_files(storage, write_files(tmp_path / "b", 2, old, "ب"), None, encoder="hash", sentence_days=1.0)
        assert await storage.vector_counts(MODEL) == (5, 2)
        await ingest_files(storage, write_files(tmp_path / "c", 2, old, "ج"), None, encoder="none", sentence_days=1.0)
        assert await storage.article_count() == 7
        assert await storage._fetchone("SELECT count(*) FROM article_vectors") == (5,)
        assert len(await storage.unembedded(MODEL, 10)) == 2
