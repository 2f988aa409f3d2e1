"""`newsbot chat`: piped stdin through the real Application, readable replies, exit at EOF."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT


def test_chat_with_piped_stdin(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_DATABASE": str(tmp_path / "chat.sqlite3"), "NEWSBOT_TELEGRAM_TOKEN": "",
           "PYTHONPATH": str(PROJECT_ROOT)}
    lines = "/help\nمن هو وزير الدفاع التركي الذي ترأس الوفد؟\n\n<b>hi</b>\n/latest\n/subscribe\n"
    done = subprocess.run([sys.executable, "-m", "bot", "chat"], input=lines, env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "/latest" in out and "خلوصي أكار" in out and "الجملة 2" in out
    assert "<b>" not in out and "<blockquote>" not in out  # readable text, not markup
    assert "[🔔" in out  # the inline button is shown
    assert (tmp_path / "chat.sqlite3").exists()
    # `newsbot` alone without a token: the one-line notice, then the console.
    done = subprocess.run([sys.executable, "-m", "bot"], input="أين اجتمع الوفدان؟\n", env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "NEWSBOT_TELEGRAM_TOKEN" in done.stderr and "انقرة" in done.stdout


def test_chat_survives_invalid_utf8(tmp_path: Path) -> None:
    """A byte that is not UTF-8 in the middle of a question: the question is still answered."""
    env = {**os.environ, "NEWSBOT_DATABASE": str(tmp_path / "chat.sqlite3"), "NEWSBOT_TELEGRAM_TOKEN": "",
           "PYTHONPATH": str(PROJECT_ROOT), "LC_ALL": "C", "PYTHONIOENCODING": ""}
    raw = "من هو وزير الدفاع ".encode() + b"\xff" + " التركي الذي ترأس الوفد؟\n".encode() + b"\xc3\x28\n"
    done = subprocess.run([sys.executable, "-m", "bot", "chat"], input=raw, env=env, cwd=tmp_path,
                          capture_output=True, timeout=120)
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr
    assert "خلوصي أكار" in out
    assert "حدث خطأ" not in out  # texts.ERROR: the log write no longer fails on the bad byte


def test_readable_keeps_link_addresses() -> None:
    from bot.cli.console import readable

    text = readable('<b>عنوان</b> — <a href="https://news.example.org/a?x=1&amp;y=2">«خبر»</a>')
    assert text == "عنوان — «خبر» (https://news.example.org/a?x=1&y=2)"
