"""Issue 20's two delivery reproducers, through `newsbot run` against the loopback Bot API server.

1. A push follows the index: 300 subscribers, each send taking 0.1 s (a slow Telegram), so one
   broadcast takes ~30 s; a second article is stored while the first is being broadcast. Printed: when
   the second article's first and last pushes went out, and when the bot first answered a question
   about it (a question is asked every 0.25 s from a chat that subscribes to nothing), all in seconds
   from the moment it was stored; and how many "maximum number of running instances" warnings the
   bot logged.
2. A flood limit stays with its chat: chats A and B subscribe, and the first push to A gets a 429 with
   retry_after 20. Printed: when B's push went out and when B's /help (sent right after A's 429) was
   answered, in seconds from A's 429, and when A's push finally went out.

Run: .venv/bin/python benchmarks/bench_delivery.py [--project DIR] [--refresh 1]
`--project` runs the bot from another checkout of the project (the code before a change, say) with
this checkout's server; figures are wall-clock and noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.intake.files import ingest_items  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from tests.botapi_server import BotAPIServer  # noqa: E402

TOKEN = "123456:bench-delivery-token"
SUBSCRIBERS = 300
FIRST = ("bridge", "افتتاح جسر جديد فوق نهر النيل",
         "افتتح وزير النقل جسرًا جديدًا فوق نهر النيل في مدينة أسوان صباح اليوم.\nويربط الجسر ضفتي النهر.\n")
SECOND = ("rain", "أمطار غزيرة في الإسكندرية",
          "هطلت أمطار غزيرة على مدينة الإسكندرية أمس وأغرقت شوارع حي المنشية.\nوقال المحافظ إن فرق الطوارئ تعمل.\n")
QUESTION = "أين هطلت الأمطار الغزيرة أمس؟"
ANSWER_WORD = "المنشية"
ASKER = 990_000


async def store(database: Path, folder: Path, article: tuple[str, str, str], subscribers: range = range(0)) -> None:
    name, title, text = article
    async with await Storage.open(database) as storage:
        for chat in subscribers:
            await storage.subscribe(chat)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        (folder / f"{name}.json").write_text(f'{{"title": "{title}"}}', encoding="utf-8")
        settings = load_settings(database=database, seeds_dir=folder.parent / "no-seeds")
        assert (await ingest_items(storage, [str(folder / f"{name}.txt")], settings)).added == 1


def start(project: Path, server: BotAPIServer, database: Path, folder: Path, refresh: float) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")},
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_BOT_API_URL": server.url,
        "NEWSBOT_DATABASE": str(database),
        "NEWSBOT_SEEDS_DIR": str(folder / "no-seeds"),
        "NEWSBOT_REFRESH_SECONDS": str(refresh),
        "PYTHONPATH": str(project),
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def wait_for(predicate, seconds: float = 120.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def message(update_id: int, chat: int, text: str) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "entities": entities,
        "chat": {"id": chat, "type": "private", "first_name": "B"}, "from": {"id": chat, "is_bot": False, "first_name": "B"}}}


def push_times(server: BotAPIServer, title: str) -> list[float]:
    return [t for t, p in server.sent_at() if int(p["chat_id"]) < ASKER and title in p.get("text", "")]


def answer_times(server: BotAPIServer) -> list[float]:
    return [t for t, p in server.sent_at() if int(p["chat_id"]) == ASKER and ANSWER_WORD in p.get("text", "")]


def quiet(server: BotAPIServer) -> BotAPIServer:
    """No traceback for a long poll cut short when the bot stops."""
    server.httpd.handle_error = lambda *args: None  # type: ignore[method-assign]
    return server


def push_follows_index(project: Path, folder: Path, refresh: float) -> None:
    database = folder / "bot.sqlite3"
    (folder / "no-seeds").mkdir(parents=True)
    asyncio.run(store(database, folder / "news1", FIRST, range(1, SUBSCRIBERS + 1)))
    with quiet(BotAPIServer()) as server:
        server.send_delay = 0.1
        proc = start(project, server, database, folder, refresh)
        try:
            assert wait_for(lambda: len(push_times(server, FIRST[1])) >= 30), "the first broadcast did not start"
            asyncio.run(store(database, folder / "news2", SECOND))
            stored = time.monotonic()
            update = 1
            while time.monotonic() - stored < 120 and not (
                    answer_times(server) and len(push_times(server, SECOND[1])) >= SUBSCRIBERS):
                server.updates.append(message(update, ASKER, QUESTION))
                update += 1
                time.sleep(0.25)
        finally:
            output = stop(proc)
    pushes, answers = push_times(server, SECOND[1]), answer_times(server)
    first_broadcast = push_times(server, FIRST[1])
    print(f"push follows the index ({SUBSCRIBERS} subscribers, 0.1 s a send, NEWSBOT_REFRESH_SECONDS={refresh}):")
    print(f"  first broadcast: {len(first_broadcast)} pushes, last at +{first_broadcast[-1] - stored:.1f} s")
    if pushes:
        print(f"  second article: pushed from +{pushes[0] - stored:.1f} s to +{pushes[-1] - stored:.1f} s "
              f"({len(pushes)} pushes)")
    print(f"  second article first answered at +{answers[0] - stored:.1f} s" if answers else "  never answered")
    if pushes and answers:
        print(f"  first push minus first answer: {pushes[0] - answers[0]:+.1f} s (>= 0: answerable no later than pushed)")
    print(f"  'maximum number of running instances' warnings: {output.count('maximum number of running instances')}")


def flood_per_chat(project: Path, folder: Path, refresh: float) -> None:
    database = folder / "bot.sqlite3"
    (folder / "no-seeds").mkdir(parents=True)
    chat_a, chat_b = 1, 2
    asyncio.run(store(database, folder / "news1", FIRST, range(chat_a, chat_b + 1)))
    with quiet(BotAPIServer()) as server:
        server.flood[chat_a] = 20
        proc = start(project, server, database, folder, refresh)
        try:
            assert wait_for(lambda: server.refused), "no push to A"
            refused = server.refused[0][0]
            server.updates.append(message(1, chat_b, "/help"))
            wait_for(lambda: len([p for p in server.sent() if int(p["chat_id"]) == chat_a]) >= 2, 60)
            time.sleep(0.5)
        finally:
            stop(proc)
    to_b = [(t, p) for t, p in server.sent_at() if int(p["chat_id"]) == chat_b]
    b_push = [t for t, p in to_b if FIRST[1] in p.get("text", "")]
    b_help = [t for t, p in to_b if FIRST[1] not in p.get("text", "")]
    a_push = [t for t, p in server.sent_at() if int(p["chat_id"]) == chat_a][1:]
    print("flood limit on chat A (one 429, retry_after 20):")
    print(f"  B's push at +{b_push[0] - refused:.1f} s" if b_push else "  B's push never went out")
    print(f"  B's /help answered at +{b_help[0] - refused:.1f} s" if b_help else "  B's /help never answered")
    print(f"  A's push at +{a_push[0] - refused:.1f} s" if a_push else "  A's push never went out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose bot runs")
    parser.add_argument("--refresh", type=float, default=1.0, help="NEWSBOT_REFRESH_SECONDS")
    parser.add_argument("--only", choices=["index", "flood"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "index"):
            push_follows_index(args.project.resolve(), Path(tmp) / "index", args.refresh)
        if args.only in (None, "flood"):
            flood_per_chat(args.project.resolve(), Path(tmp) / "flood", args.refresh)


if __name__ == "__main__":
    main()
