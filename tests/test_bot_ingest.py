"""`newsbot ingest` and the offline commands reading the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.cli.main import main
from bot.settings import PROJECT_ROOT

ARTICLE = "اجتمع وزير الزراعة مع المزارعين في مدينة الأقصر لمناقشة محصول القمح هذا العام.\nوقال الوزير إن المحصول وفير.\n"


def write_article(folder: Path, name: str, text: str = ARTICLE, **meta: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    if meta:
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def test_ingest_twice_adds_nothing_the_second_time(tmp_path: Path, monkeypatch, capsys, database: Path | str) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE", str(database))
    folder = tmp_path / "news"
    write_article(folder, "wheat", title="القمح في الأقصر", source="وكالة", url="https://example.org/wheat")
    write_article(folder, "copy", "  " + ARTICLE, title="القمح في  الأقصر")  # same story, another name
    (folder / "bad.txt").write_bytes(bytes(range(256)) * 4)  # binary: text in no charset
    assert main(["ingest", str(folder), str(tmp_path / "missing")]) == 1
    out = capsys.readouterr().out
    assert "added 1, duplicates 1, failed 2" in out
    assert "no such file or folder" in out
    assert main(["ingest", str(folder / "wheat.txt")]) == 0
    assert "added 0, duplicates 1, failed 0" in capsys.readouterr().out


def test_ingest_of_an_unreachable_url_is_reported(tmp_path: Path, monkeypatch, capsys) -> None:
    # (This test used to assert only when bot/feeds.py did not exist, that is never.)
    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    code = main(["ingest", "http://127.0.0.1:9/feed.xml"])  # the discard port: connection refused
    out = capsys.readouterr().out
    assert code == 1 and "failed 1" in out and "http://127.0.0.1:9/feed.xml" in out


def test_ask_answers_from_database(tmp_path: Path, database: Path | str) -> None:
    folder = tmp_path / "news"
    write_article(folder, "wheat", title="القمح في الأقصر", source="وكالة")
    env = {**os.environ, "NEWSBOT_DATABASE": str(database)}
    cmd = [sys.executable, "-m", "bot"]
    subprocess.run([*cmd, "ingest", str(folder)], env=env, check=True, capture_output=True, cwd=tmp_path)
    done = subprocess.run(
        [*cmd, "ask", "--json", "أين اجتمع وزير الزراعة مع المزارعين؟"],
        env=env, check=True, capture_output=True, text=True, cwd=tmp_path,
    )
    reply = json.loads(done.stdout)
    assert reply["answered"] and reply["answers"][0]["article"] == "wheat"


def test_ingest_reports_each_bad_file_and_keeps_going(tmp_path: Path) -> None:
    """A malformed sidecar, a name that is not UTF-8, a FIFO, /dev/zero, an oversized file: each is
    reported with its reason, the good files are stored, and nothing hangs."""
    folder = tmp_path / "news"
    write_article(folder / "a", "news", ARTICLE)
    write_article(folder / "b", "news", "هطلت أمطار غزيرة على مدينة الإسكندرية أمس.\nوتوقفت حركة المرور ساعات.\n")
    write_article(folder / "c", "listed", "افتتح وزير النقل جسرًا جديدًا في أسوان.\n", url=["https://example.org/x"])
    odd = os.fsencode(folder) + b"/\xff\xfe-odd.txt"
    with open(odd, "wb") as stream:
        stream.write("افتتحت وزارة الصحة مستشفى جديدًا في مدينة تبوك.\n".encode())
    os.mkfifo(folder / "pipe.txt")
    (folder / "big.txt").write_bytes(("خبر طويل جدًا. " * 300_000).encode())  # 7.5 MB
    env = {**os.environ, "NEWSBOT_DATABASE": str(tmp_path / "db.sqlite3"), "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "ingest", str(folder), "/dev/zero"], env=env,
                          capture_output=True, cwd=tmp_path, timeout=120)  # before: hung on the FIFO
    out = done.stdout.decode("utf-8")
    assert done.returncode == 1, done.stderr.decode()
    assert "added 3, duplicates 0, failed 4" in out, out
    assert "listed.txt (ValueError: listed.json: 'url' must be a string, not list)" in out
    assert "pipe.txt (ValueError: not a regular file)" in out and "/dev/zero (ValueError: not a regular file)" in out
    assert "big.txt (ValueError: larger than" in out

    async def ids() -> set[str]:
        from bot.storage import Storage

        async with await Storage.open(tmp_path / "db.sqlite3") as storage:
            return await storage.article_ids()

    import asyncio

    assert asyncio.run(ids()) == {"a/news", "b/news", "\ufffd\ufffd-odd"}  # two news.txt, both kept


RAIN = "هطلت أمطار غزيرة على مدينة الإسكندرية أمس وتوقفت حركة المرور ساعات.\nوقالت الهيئة إن الأمطار ستستمر حتى الجمعة.\n"


def _stored_ids(database: Path | str) -> set[str]:
    import asyncio

    from bot.storage import Storage

    async def ids() -> set[str]:
        async with await Storage.open(database) as storage:
            return await storage.article_ids()

    return asyncio.run(ids())


def test_two_files_of_one_name_are_two_articles(tmp_path: Path, monkeypatch, capsys, database: Path | str) -> None:
    """Issue 20: `ingest s1/news.txt s2/news.txt` (two texts) kept one; so did `ingest s1` then `ingest s2`."""
    monkeypatch.setenv("NEWSBOT_DATABASE", str(database))
    monkeypatch.setenv("NEWSBOT_SEEDS_DIR", str(tmp_path / "no-seeds"))
    one, two = write_article(tmp_path / "s1", "news", ARTICLE), write_article(tmp_path / "s2", "news", RAIN)
    assert main(["ingest", str(one), str(two)]) == 0
    assert "added 2, duplicates 0, failed 0" in capsys.readouterr().out
    from retrieval import load_article_file

    suffixed = f"news~{load_article_file(two).fingerprint[:10]}"
    assert _stored_ids(database) == {"news", suffixed}
    # The same files again, one by one or by folder: duplicates, and the ids stay.
    assert main(["ingest", str(tmp_path / "s2"), str(one)]) == 0
    assert "added 0, duplicates 2, failed 0" in capsys.readouterr().out
    assert _stored_ids(database) == {"news", suffixed}
    # The second article answers, cited by its own id.
    assert main(["ask", "--json", "أين هطلت الأمطار الغزيرة أمس؟"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["answered"] and reply["answers"][0]["article"] == suffixed
    # An edited file is a new text: stored beside the first version, under an id of its own.
    edited = write_article(tmp_path / "s1", "news", ARTICLE + "وأضاف أن الأسعار ستنخفض.\n")
    assert main(["ingest", str(tmp_path / "s1")]) == 0
    assert "added 1, duplicates 0, failed 0" in capsys.readouterr().out
    assert _stored_ids(database) == {"news", suffixed, f"news~{load_article_file(edited).fingerprint[:10]}"}


def test_folders_ingested_one_after_the_other_keep_both_news_files(tmp_path: Path, monkeypatch, capsys, database: Path | str) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE", str(database))
    write_article(tmp_path / "s1", "news", ARTICLE)
    write_article(tmp_path / "s2", "news", RAIN)
    assert main(["ingest", str(tmp_path / "s1")]) == 0
    assert "added 1, duplicates 0, failed 0" in capsys.readouterr().out
    assert main(["ingest", str(tmp_path / "s2")]) == 0
    assert "added 1, duplicates 0, failed 0" in capsys.readouterr().out
    assert len(_stored_ids(database)) == 2


def test_a_sidecar_date_in_the_future_is_taken_as_the_ingest_time(tmp_path: Path, monkeypatch, capsys) -> None:
    import asyncio
    from datetime import datetime, timedelta, timezone

    from bot.storage import Storage

    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    write_article(tmp_path / "news", "future", ARTICLE, published="9999-12-31T23:59:59+14:00")
    # A minute ahead (a clock a little fast) is believed: later than the ingest, so it leads.
    soon = datetime.now(timezone.utc) + timedelta(minutes=1)
    write_article(tmp_path / "news", "today", RAIN, published=soon.isoformat())
    assert main(["ingest", str(tmp_path / "news")]) == 0

    async def latest() -> list[tuple[str, datetime | None]]:
        async with await Storage.open(tmp_path / "db.sqlite3") as storage:
            return [(a.id, a.published) for a in await storage.latest(2)]

    (first, kept), (second, clamped) = asyncio.run(latest())
    assert (first, kept) == ("today", soon)
    assert second == "future" and clamped is not None and clamped <= datetime.now(timezone.utc)  # the ingest time


def test_a_windows_1256_file_is_decoded_like_a_page(tmp_path: Path, monkeypatch, capsys) -> None:
    """Issue 20: a `.txt` saved in windows-1256 (declared nowhere) failed with UnicodeDecodeError."""
    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("NEWSBOT_SEEDS_DIR", str(tmp_path / "no-seeds"))
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "rain.txt").write_bytes(RAIN.encode("cp1256"))
    assert main(["ingest", str(folder)]) == 0
    assert "added 1, duplicates 0, failed 0" in capsys.readouterr().out
    assert main(["ask", "--json", "أين هطلت الأمطار الغزيرة أمس؟"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["answered"] and reply["answers"][0]["text"] == RAIN.splitlines()[0]


def test_only_web_links_are_kept(tmp_path: Path, monkeypatch, capsys) -> None:
    """Issue 20: a `javascript:` URL in a sidecar was stored with the article (and shown in pushes)."""
    import asyncio

    from bot.storage import Storage

    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    related = [
        {"title": "خبر بلا رابط صالح", "url": "javascript:alert(document.cookie)"},
        {"title": "خبر برابط بيانات", "url": "data:text/html,<script>alert(1)</script>"},
        {"title": "خبر برابط ملف", "url": " file:///etc/passwd"},
        {"title": "خبر برابط صالح", "url": "https://example.org/ok"},
    ]
    write_article(tmp_path / "news", "a", ARTICLE, url="JavaScript:alert(1)", related=related)
    write_article(tmp_path / "news", "b", RAIN, url="java\tscript:alert(1)")
    write_article(tmp_path / "news", "c", "افتتح وزير النقل جسرًا جديدًا في أسوان.\n", url="https://example.org/c")
    assert main(["ingest", str(tmp_path / "news")]) == 0

    async def stored() -> dict[str, tuple[str | None, list[str | None]]]:
        async with await Storage.open(tmp_path / "db.sqlite3") as storage:
            return {a.id: (a.url, [link.url for link in a.related]) for _, a in await storage.all_articles()}

    assert asyncio.run(stored()) == {
        "a": (None, [None, None, None, "https://example.org/ok"]),  # the headlines stay, without their links
        "b": (None, []),
        "c": ("https://example.org/c", []),
    }
