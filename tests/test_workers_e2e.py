"""Three `newsbot run` webhook workers sharing one PostgreSQL database, against the loopback Bot API
server: 300 subscribers, 5 new articles, every worker delivering. Each push must reach each subscriber
once, none lost, also when one worker is killed with SIGKILL mid-broadcast (its claim runs out and the
others finish its share). Pushes are counted where they land: at the Bot API server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, derived_webhook_secret
from bot.storage import SENT, Storage
from retrieval import Article
from tests.botapi_server import BotAPIServer
from tests.pg_server import free_port
from tests.test_bot_e2e import TOKEN, stop, wait_for

SUBSCRIBERS = range(500_000, 500_300)
TITLES = ("أمطار غزيرة في الرياض", "افتتاح معرض الكتاب في جدة", "ارتفاع أسعار النفط", "فوز المنتخب في المباراة",
          "إطلاق قمر صناعي جديد")
WORKERS = ("w1", "w2", "w3")
LEASE_SECONDS = 3


def article(n: int, title: str) -> Article:
    return Article(id=f"wave-{n}", title=title, source="وكالة الأنباء", url=f"https://example.org/wave/{n}",
                   sentences=(f"{title}: هذا نص الخبر رقم {n} كما نشرته الوكالة.", "وقال المتحدث إن التفاصيل ستعلن لاحقًا."))


async def prepare(database: str) -> None:
    async with await Storage.open(database) as storage:
        for chat in SUBSCRIBERS:
            await storage.subscribe(chat)


async def publish(database: str) -> None:
    async with await Storage.open(database) as storage:
        for n, title in enumerate(TITLES):
            assert await storage.add_article(article(n, title)) is not None


async def final_states(database: str) -> tuple[Counter[str], dict[tuple[int, int], int]]:
    async with await Storage.open(database) as storage:
        rows = await storage.deliveries()
    return Counter(status for *_, status, _ in rows), {(row, chat): attempts for row, chat, _, attempts in rows}


def start_worker(name: str, server: BotAPIServer, database: str, folder: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        # …/w1/bot: the server tells the workers' calls apart by the path.
        "NEWSBOT_BOT_API_URL": server.url.replace("/bot", f"/{name}/bot"),
        "NEWSBOT_DATABASE": database,
        "NEWSBOT_SEEDS_DIR": str(folder / "no-seeds"),
        "NEWSBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "NEWSBOT_WEBHOOK_LISTEN": "127.0.0.1",
        "NEWSBOT_WEBHOOK_PORT": str(port),
        "NEWSBOT_WORKER_ID": name,
        "NEWSBOT_REFRESH_SECONDS": "1",
        "NEWSBOT_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "NEWSBOT_SEND_RATE": "1000",  # the loopback server has no flood limit
        "NEWSBOT_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def pushes(server: BotAPIServer) -> list[tuple[str, int, str]]:
    """(worker, chat, title) of every push to a subscriber."""
    found = []
    for caller, params in server.sent_by():
        if int(params["chat_id"]) in SUBSCRIBERS:
            [title] = [t for t in TITLES if t in params.get("text", "")] or [""]
            found.append((caller, int(params["chat_id"]), title))
    return found


def post_update(port: int, chat: int) -> int:
    """A question, as Telegram would POST it to the webhook (through the balancer) with the shared secret."""
    update = {"update_id": chat, "message": {"message_id": 1, "date": int(time.time()), "text": "ما آخر أخبار الأمطار؟",
                                             "chat": {"id": chat, "type": "private", "first_name": "T"},
                                             "from": {"id": chat, "is_bot": False, "first_name": "T"}}}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", json.dumps(update).encode(),
                                     {"Content-Type": "application/json",
                                      "X-Telegram-Bot-Api-Secret-Token": derived_webhook_secret(TOKEN)})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


@pytest.mark.parametrize("kill", [False, True], ids=["all-alive", "one-sigkilled"])
def test_three_workers_push_each_article_to_each_subscriber_once(pg_url: str, tmp_path: Path, kill: bool) -> None:
    (tmp_path / "no-seeds").mkdir()
    asyncio.run(prepare(pg_url))
    expected = {(chat, title) for chat in SUBSCRIBERS for title in TITLES}
    with BotAPIServer() as server:
        ports = {name: free_port() for name in WORKERS}
        workers = {name: start_worker(name, server, pg_url, tmp_path, ports[name]) for name in WORKERS}
        outputs: dict[str, str] = {}
        try:
            ready = wait_for(lambda: {c for c, (_, m, _) in zip(server.callers, server.calls) if m == "setWebhook"}
                             == set(WORKERS))
            assert ready, "workers did not start"
            hooks = [p for _, m, p in server.calls if m == "setWebhook"]
            # No NEWSBOT_WEBHOOK_SECRET: every worker derives the same one from the token.
            assert len({h["secret_token"] for h in hooks}) == 1 and hooks[0]["secret_token"] == derived_webhook_secret(TOKEN)
            if not kill:  # updates: the balancer gives each one to one worker, which answers it once
                for i, name in enumerate(WORKERS):
                    assert post_update(ports[name], 900 + i) == 200
            asyncio.run(publish(pg_url))
            if kill:  # w1 dies mid-broadcast, after its 100th push
                assert wait_for(lambda: sum(c == "w1" for c, _, _ in pushes(server)) >= 100)
                workers["w1"].send_signal(signal.SIGKILL)
                assert len(pushes(server)) < len(expected)
            assert wait_for(lambda: {(chat, title) for _, chat, title in pushes(server)} >= expected, 120)
            time.sleep(LEASE_SECONDS + 1)  # a late duplicate would show up by now
        finally:
            for name, proc in workers.items():
                outputs[name] = stop(proc)
    log = "\n".join(f"--- {n}\n{o[-1500:]}" for n, o in outputs.items())
    sent = pushes(server)
    copies = Counter((chat, title) for _, chat, title in sent)
    assert set(copies) == expected, log  # none lost, nothing else sent
    by_worker = Counter(worker for worker, _, _ in sent)
    assert all(by_worker[w] > 0 for w in WORKERS), by_worker  # every worker did a share
    statuses, attempts = asyncio.run(final_states(pg_url))
    assert statuses == {SENT: len(expected)}, statuses
    twice = {pair: n for pair, n in copies.items() if n > 1}
    if not kill:
        answers = Counter(int(p["chat_id"]) for _, p in server.sent_by() if int(p["chat_id"]) in (900, 901, 902))
        assert answers == {900: 1, 901: 1, 902: 1}
        assert twice == {} and len(sent) == 1500, (twice, by_worker)
        assert set(attempts.values()) == {1}
        assert all(workers[n].returncode == 0 for n in WORKERS), log
    else:
        # The one message w1 may have had in flight when it died can go out again (at least once: the
        # Bot API cannot tell whether it arrived); nothing else is sent twice.
        assert len(twice) <= 1 and all(n == 2 for n in twice.values()), twice
        assert len(sent) == 1500 + len(twice)
        assert sorted(attempts.values()).count(2) <= 1 and max(attempts.values()) <= 2
        assert workers["w1"].returncode == -signal.SIGKILL
        assert workers["w2"].returncode == 0 and workers["w3"].returncode == 0, log
    print(f"\nthree workers ({'one SIGKILLed' if kill else 'all alive'}): {len(sent)} pushes, "
          f"{len(copies)} distinct, {len(twice)} twice; by worker {dict(sorted(by_worker.items()))}")
