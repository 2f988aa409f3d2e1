"""SIGTERM in the middle of a broadcast: `newsbot run` stops within seconds, the next start sends the
rest, and nobody gets an article twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.intake.files import ingest_items
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage import SENT, Storage
from tests.botapi_server import BotAPIServer
from tests.test_bot_e2e import TOKEN, wait_for

SUBSCRIBERS = 300
TITLE = "افتتاح جسر جديد فوق نهر النيل"
ARTICLE = "افتتح وزير النقل جسرًا جديدًا فوق نهر النيل في مدينة أسوان صباح اليوم.\nويربط الجسر ضفتي النهر.\n"


async def prepare(tmp_path: Path) -> Path:
    """A database with SUBSCRIBERS chats subscribed and one article they are owed."""
    database = tmp_path / "bot.sqlite3"
    async with await Storage.open(database) as storage:
        for chat in range(1, SUBSCRIBERS + 1):
            await storage.subscribe(chat)
        news = tmp_path / "news"
        news.mkdir()
        (news / "bridge.txt").write_text(ARTICLE, encoding="utf-8")
        (news / "bridge.json").write_text(f'{{"title": "{TITLE}"}}', encoding="utf-8")
        settings = load_settings(database=database, seeds_dir=tmp_path / "no-seeds")
        assert (await ingest_items(storage, [str(news)], settings)).added == 1
    return database


def start(server: BotAPIServer, database: Path, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_BOT_API_URL": server.url,
        "NEWSBOT_DATABASE": str(database),
        "NEWSBOT_SEEDS_DIR": str(tmp_path / "no-seeds"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def pushes(server: BotAPIServer) -> Counter[int]:
    return Counter(int(p["chat_id"]) for p in server.sent() if TITLE in p.get("text", ""))


async def statuses(database: Path) -> Counter[str]:
    async with await Storage.open(database) as storage:
        return Counter(status for _, _, status, _ in await storage.deliveries())


def test_sigterm_mid_broadcast_stops_promptly_and_the_restart_sends_the_rest(tmp_path: Path) -> None:
    database = asyncio.run(prepare(tmp_path))
    with BotAPIServer() as server:
        server.send_delay = 0.1  # the whole broadcast would take 30 s and more
        proc = start(server, database, tmp_path)
        try:
            if not wait_for(lambda: sum(pushes(server).values()) >= 20):
                proc.kill()
                raise AssertionError(proc.communicate()[0][-3000:])
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            output, _ = proc.communicate(timeout=60)
            took = time.monotonic() - signalled
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, output[-3000:]
        first = pushes(server)
        assert took < 8, f"SIGTERM took {took:.1f}s: {output[-2000:]}"  # before: the whole broadcast, 30 s+
        assert len(first) < SUBSCRIBERS and "left for the next start" in output

        server.send_delay = 0.0
        proc = start(server, database, tmp_path)  # the restart
        try:
            assert wait_for(lambda: len(pushes(server)) == SUBSCRIBERS, 90)
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=60)
        total = pushes(server)
        assert set(total) == set(range(1, SUBSCRIBERS + 1)) and max(total.values()) == 1  # everyone, once
    assert asyncio.run(statuses(database)) == Counter({SENT: SUBSCRIBERS})
