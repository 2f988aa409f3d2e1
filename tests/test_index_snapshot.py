"""The index snapshot beside the database, bulk ingest, and a running index that grows in segments."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.cli.main import main
from bot.core.index_builder import offline_index
from bot.core.service import NewsService
from bot.settings import Settings, load_settings
from bot.storage import Storage
from bot.storage.snapshot import (
    TITLES, Snapshot, covering, load_snapshot, save_snapshot, snapshot_path, title_covering,
)
from retrieval import Article, NewsIndex, analyze
from retrieval.search.term_index import TermIndex

TOWNS = ["الأقصر", "أسوان", "المنيا", "سوهاج", "قنا", "الفيوم", "دمياط", "طنطا", "بنها", "الزقازيق"]
CROPS = ["القمح", "القطن", "الأرز", "الذرة", "البرتقال", "العنب", "الطماطم", "البصل", "الفول", "السكر"]


def story(i: int) -> tuple[str, str]:
    """A small article of our own, different for every i (a title and two body sentences)."""
    town, crop = TOWNS[i % 10], CROPS[(i // 10) % 10]
    body = (f"اجتمع محافظ {town} مع مزارعي {crop} في الاجتماع رقم {i} لمناقشة الموسم.\n"
            f"وقال المحافظ إن إنتاج {crop} في {town} بلغ {1000 + i} طن هذا العام.\n")
    return f"{crop} في {town} ({i})", body


def write_stories(folder: Path, numbers: range) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in numbers:
        title, body = story(i)
        (folder / f"s{i:04d}.txt").write_text(body, encoding="utf-8")
        (folder / f"s{i:04d}.json").write_text(f'{{"title": "{title}"}}', encoding="utf-8")


async def store(settings: Settings, numbers: range) -> None:
    """Our articles `numbers` stored in one batch, as an ingest beside the bot would."""
    async with await Storage.open(settings.database) as storage:
        await storage.add_articles([article(i) for i in numbers])


def settings_for(tmp_path: Path, monkeypatch=None) -> Settings:
    (tmp_path / "no_seeds").mkdir(exist_ok=True)
    if monkeypatch is not None:  # for the CLI, which reads its settings from the environment
        monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
        monkeypatch.setenv("NEWSBOT_SEEDS_DIR", str(tmp_path / "no_seeds"))
    return load_settings(database=tmp_path / "db.sqlite3", seeds_dir=tmp_path / "no_seeds", telegram_token=None,
                         max_age_days=None)


def article(i: int) -> Article:
    title, body = story(i)
    return Article(id=f"a{i}", title=title, sentences=tuple(body.split("\n")[:2]))


async def test_add_articles_in_bulk_dedupes(database: Path | str) -> None:
    async with await Storage.open(database) as storage:  # both engines: SQLite and PostgreSQL
        first = await storage.add_article(article(1))
        same_text = Article(id="other", title=article(2).title, sentences=article(2).sentences)
        rows = await storage.add_articles([article(1), article(2), same_text, article(3), article(2)])
        assert rows == [None, first + 1, None, first + 2, None]
        assert await storage.add_articles([article(4), article(3)]) == [first + 3, None]
        heads = await storage.article_heads()
        assert [(h[1], h[2]) for h in heads] == [("a1", 2), ("a2", 2), ("a3", 2), ("a4", 2)]
        stored = await storage.article(first + 1)
        assert stored is not None and stored.sentences == article(2).sentences


def test_bulk_ingest_writes_a_snapshot_that_ask_trusts_only_where_it_matches(tmp_path: Path, capsys, monkeypatch) -> None:
    settings = settings_for(tmp_path, monkeypatch)
    write_stories(tmp_path / "news", range(230))  # enough files for the worker processes
    assert main(["ingest", str(tmp_path / "news")]) == 0
    assert "added 230, duplicates 0, failed 0" in capsys.readouterr().out
    snap = load_snapshot(settings.database)
    assert snap is not None and len(snap.covers) == 230 and snap.index.size == 460

    index = offline_index(settings)
    fresh = NewsIndex(index.articles)
    for question in ["كم بلغ إنتاج القطن في أسوان في الاجتماع رقم 11؟", "مزارعي العنب في الفيوم"]:
        assert index.ask(question) == fresh.ask(question)

    # A snapshot claiming other terms for stored articles is believed only where row, article id and
    # sentence count all match: plant a marker term for article row 1 under the right and a wrong id.
    marked = Snapshot(TermIndex(["x", "y"], tokens=[["علامه"], ["علامه"]]), snap.covers[:1])
    save_snapshot(settings.database, marked)
    # (rank, not ask: ask checks answers against the sentences' own words, which the marker is not.)
    assert offline_index(settings).rank("علامه", 1)  # matched: reused without analysis
    wrong = Snapshot(marked.index, covering([1], [Article(id="another", title="", sentences=("a", "b"))]))
    save_snapshot(settings.database, wrong)
    assert not offline_index(settings).rank("علامه", 1)  # not the same article: analysed again
    again = load_snapshot(settings.database)  # and the stale file was replaced by a correct one
    assert again is not None and len(again.covers) == 230


def test_titles_are_analysed_once_and_read_back_while_they_match(tmp_path: Path, capsys, monkeypatch) -> None:
    """The titles index has its own file beside the database: written by ingest (and by a start that
    had to analyse a title), read by the next start (a planted marker shows it was not analysed again),
    and checked per article by row, id and title."""
    settings = settings_for(tmp_path, monkeypatch)
    write_stories(tmp_path / "news", range(15))
    assert main(["ingest", str(tmp_path / "news")]) == 0
    write_stories(tmp_path / "more", range(15, 20))
    assert main(["ingest", str(tmp_path / "more")]) == 0  # a second ingest keeps the first one's titles
    found = load_snapshot(settings.database, kind=TITLES)
    assert found is not None and [c.row for c in found.covers] == list(range(1, 21))
    index = offline_index(settings)
    for i, a in enumerate(index.articles):
        assert index.titles.terms_of(i) == frozenset(analyze(a.title))

    covers = title_covering([1, 2], index.articles[:2])
    marked = Snapshot(TermIndex(["x", "y"], tokens=[["علامه"], ["علامه"]]), covers)
    save_snapshot(settings.database, marked, TITLES)
    again = offline_index(settings)
    assert "علامه" in again.titles.terms_of(0)  # read back, not analysed
    assert again.titles.terms_of(2) == frozenset(analyze(again.articles[2].title))  # the rest analysed
    renamed = replace(index.articles[0], title="عنوان آخر")
    stale = Snapshot(marked.index, title_covering([1, 2], [renamed, index.articles[1]]))
    save_snapshot(settings.database, stale, TITLES)
    assert "علامه" not in offline_index(settings).titles.terms_of(0)  # another title: analysed again


def test_unreadable_or_foreign_snapshot_is_rebuilt(tmp_path: Path, capsys, monkeypatch) -> None:
    settings = settings_for(tmp_path, monkeypatch)
    write_stories(tmp_path / "news", range(12))
    assert main(["ingest", str(tmp_path / "news")]) == 0
    path = snapshot_path(settings.database)
    path.write_bytes(b"garbage, not an index")
    question = "كم بلغ إنتاج القمح في قنا؟"
    assert offline_index(settings).ask(question).answers[0].article.id == "s0004"
    index, meta, _ = TermIndex.load(path)
    assert index.size == 24 and meta["analyzer"]  # written back, whole


async def test_service_grows_by_segments_and_saves_at_close(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await store(settings, range(40))
    service = await NewsService.start(settings)
    try:
        before = service.index
        async with await Storage.open(settings.database) as writer:  # another process's ingest
            for i in range(40, 45):
                await writer.add_articles([article(i)])
        new = await service.refresh(datetime.now(timezone.utc))
        assert len(new) == 5
        assert len(service.index.sentences.segments) > 1  # grown, not rebuilt
        question = "مزارعي القطن في قنا رقم 44"
        assert len(before.articles) == 40  # the snapshot questions in flight hold is untouched
        reply = service.index.ask(question)
        assert reply.answers[0].article.id == "a44"
        assert reply == NewsIndex(service.index.articles).ask(question)
    finally:
        await service.close()
    snap = load_snapshot(settings.database)
    assert snap is not None and [c.row for c in snap.covers] == list(range(1, 46))
    titles = load_snapshot(settings.database, kind=TITLES)  # the titles are saved with the sentences
    assert titles is not None and [c.row for c in titles.covers] == list(range(1, 46))


async def test_questions_do_not_wait_for_a_refresh(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await store(settings, range(100))
    service = await NewsService.start(settings)
    try:
        await store(settings, range(100, 1100))  # another process's ingest
        refresh = asyncio.create_task(service.refresh())
        latencies = []
        while not refresh.done():
            started = time.perf_counter()
            asked = await service.ask(None, "مزارعي القطن في أسوان")
            latencies.append(time.perf_counter() - started)
            assert asked.reply is not None and asked.reply.answered
            await asyncio.sleep(0)
        assert len(await refresh) == 1000
        # The refresh ran in a thread; questions kept being answered from the previous index meanwhile.
        assert len(latencies) > 1
        # 1,000 articles are analysed in the worker process, and join as if analysed here.
        assert service._analysis.pool is not None
        for question in ["مزارعي القطن في أسوان", "كم بلغ إنتاج البصل في طنطا في الاجتماع رقم 1071؟"]:
            assert service.index.ask(question) == NewsIndex(service.index.articles).ask(question)
    finally:
        await service.close()


async def test_a_dead_analysis_worker_costs_no_articles(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await store(settings, range(10))
    service = await NewsService.start(settings)
    try:
        workers = service._analysis()
        workers.submit(os._exit, 1)  # the worker dies (as if killed): the pool is broken
        await store(settings, range(10, 210))  # another process's ingest
        assert len(await service.refresh()) == 200
        assert [a.id for a in service.index.articles] == [article(i).id for i in range(210)]
        assert service._analysis.pool is None  # a new worker is started next time
    finally:
        await service.close()


def test_articles_analysed_elsewhere_join_like_analysed_here() -> None:
    from retrieval import Encoded, analyze

    base = NewsIndex([article(i) for i in range(30)])
    more = [article(5), article(40), article(41), article(40)]  # one held already, one repeated
    analysed = Encoded.of([analyze(s) for a in more for s in a.sentences])
    here, elsewhere = base.with_articles(more), base.with_articles(more, analysed)
    assert [a.id for a in elsewhere.articles] == [a.id for a in here.articles]
    for question in ["كم بلغ إنتاج القطن في قنا في الاجتماع رقم 41؟", "مزارعي القمح في الأقصر"]:
        assert elsewhere.ask(question) == here.ask(question)
