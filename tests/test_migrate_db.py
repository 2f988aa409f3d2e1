"""`newsbot migrate-db FROM TO`: a SQLite database copied whole into an empty database (PostgreSQL,
and SQLite too), ids kept and id sequences moved past them; a target with data is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from retrieval.meaning.encoder import HashEncoder
from retrieval.meaning.vectors import embed_articles, model_key, pack

from bot.settings import PROJECT_ROOT
from bot.storage import SENT, Storage
from tests.test_bot_storage import make_article

SECRET = "migr4te-Secret-pw"
MODEL = model_key(HashEncoder())


async def fill(path: Path) -> dict[str, object]:
    """A SQLite database with something in every table; what a copy must reproduce."""
    async with await Storage.open(path) as storage:
        first = make_article(1, datetime(2026, 11, 1, tzinfo=timezone.utc))
        await storage.add_article(first, feed_url="https://f.example/rss",
                                  vectors=embed_articles(HashEncoder(), [first], sentences=True)[0], model=MODEL)
        await storage.remember_chat(-1001234567890, "supergroup", "مجموعة الأخبار")
        await storage.subscribe(-1001234567890)
        await storage.subscribe(42)
        rows = [await storage.add_article(make_article(n)) for n in (2, 3)]
        await storage.store_vectors(MODEL, [(rows[0], embed_articles(HashEncoder(), [make_article(2)])[0])])
        await storage.record_delivery(rows[0], 42, SENT)
        await storage.log_query(42, "من فاز؟", True, 3.25)
        await storage.log_query(None, "سؤال", False, 1.5)
        await storage.record_feed_fetch("https://f.example/rss", title="موجز", etag='"v1"')
        await storage.record_feed_entry("https://f.example/rss", "entry-1", "stored")
        return await snapshot(storage)


async def snapshot(storage: Storage) -> dict[str, object]:
    return {
        "articles": await storage.all_articles(),
        "pending": await storage.pending_deliveries(),
        "deliveries": await storage.deliveries(),
        "subscribers": await storage.subscribers(),
        "counts": await storage.counts(),
        "feeds": await storage.feed_states(),
        "entry": await storage.feed_entry("https://f.example/rss", "entry-1"),
        "vectors": {row: (pack(v.story), None if v.sentences is None else pack(v.sentences))
                    for row, v in (await storage.article_vectors(MODEL)).items()},
    }


async def after_copy(target: Path | str) -> tuple[dict[str, object], int | None, int]:
    async with await Storage.open(target) as storage:
        seen = await snapshot(storage)
        new_row = await storage.add_article(make_article(4))  # the id sequence continues after the copy
        await storage.log_query(1, "سؤال جديد", True, 1.0)
        queries = await storage._fetchone("SELECT max(id) FROM query_log")
        assert queries is not None
        return seen, new_row, int(queries[0])


def migrate(source: Path, target: Path | str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")} | {"PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", "migrate-db", str(source), str(target)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=source.parent)


def test_migrate_db_copies_everything_and_keeps_ids(tmp_path: Path, database: Path | str) -> None:
    source = tmp_path / "old.sqlite3"
    before = asyncio.run(fill(source))
    target = str(database).replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")
    if isinstance(database, Path):
        target = str(tmp_path / "new.sqlite3")
    done = migrate(source, target)
    assert done.returncode == 0, done.stderr
    assert "articles 3" in done.stdout and "article_vectors 2" in done.stdout and "sentences 6" in done.stdout and "query_log 2" in done.stdout
    seen, new_row, query_id = asyncio.run(after_copy(target))
    assert seen == before
    assert sorted(before["vectors"]) == [1, 2] and before["vectors"][1][1] is not None  # type: ignore[index]
    assert new_row == 4 and query_id == 3
    again = migrate(source, target)  # now the target holds data: refused, nothing changed
    assert again.returncode == 2 and "already holds data" in again.stderr and again.stderr.count("\n") == 1
    for output in (done.stdout, done.stderr, again.stdout, again.stderr):
        assert SECRET not in output


def test_migrate_db_needs_a_sqlite_source(tmp_path: Path) -> None:
    done = migrate(tmp_path / "missing.sqlite3", f"postgresql://u:{SECRET}@127.0.0.1:1/db")
    assert done.returncode == 2 and "FROM must be an existing SQLite file" in done.stderr and SECRET not in done.stderr
    source = tmp_path / "old.sqlite3"
    asyncio.run(fill(source))
    done = migrate(source, f"postgresql://u:{SECRET}@127.0.0.1:1/db")  # no server there
    assert done.returncode == 2 and "cannot open" in done.stderr and SECRET not in done.stderr
