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
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    assert main(["ingest", str(folder), str(tmp_path / "missing")]) == 1
    out = capsys.readouterr().out
    assert "added 1, duplicates 1, failed 2" in out
    assert "no such file or folder" in out
    assert main(["ingest", str(folder / "wheat.txt")]) == 0
    assert "added 0, duplicates 1, failed 0" in capsys.readouterr().out


def test_ingest_url_without_feeds_module_is_reported(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    code = main(["ingest", "http://127.0.0.1:9/feed.xml"])
    out = capsys.readouterr().out
    if not (PROJECT_ROOT / "bot" / "feeds.py").exists():
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
