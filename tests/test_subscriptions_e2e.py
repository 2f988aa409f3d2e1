"""`newsbot run` against the loopback Bot API server: /follow, an article ingested by another process
pushed as a topic alert by the running bot, and an inline query answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.botapi_server import BotAPIServer
from tests.test_bot_e2e import stop, wait_for

TOKEN = "987654321:E2E-secret-token-abcdefghijklmnop"
USER = {"id": 778, "is_bot": False, "first_name": "Test"}
ADEN = "ووصل وفد حكومي رفيع إلى مدينة عدن مساء أمس لبحث ملف الكهرباء."


def message(update_id: int, text: str) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "entities": entities,
        "chat": {"id": 778, "type": "private", "first_name": "Test"}, "from": USER}}


def test_follow_alert_and_inline_over_http(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "NEWSBOT_SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
        "NEWSBOT_REFRESH_SECONDS": "0.5",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with BotAPIServer() as server:
        env["NEWSBOT_BOT_API_URL"] = server.url
        server.updates.append(message(1, "/follow عدن"))
        server.updates.append({"update_id": 2, "inline_query": {
            "id": "42", "from": USER, "query": "من هو وزير الدفاع التركي الذي ترأس الوفد؟", "offset": ""}})
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            followed = wait_for(lambda: any("سأرسل" in p.get("text", "") for p in server.sent()))
            answered = wait_for(lambda: any(m == "answerInlineQuery" for _, m, _ in server.calls))
            # Another process stores an article about Aden; the running bot pushes it.
            news = tmp_path / "news"
            news.mkdir()
            (news / "aden.txt").write_text(f"بحث المسؤولون ملف الطاقة.\n{ADEN}\n", encoding="utf-8")
            (news / "aden.json").write_text(json.dumps(
                {"title": "وصول وفد حكومي إلى عدن", "source": "وكالة", "url": "https://news.example.org/aden"},
                ensure_ascii=False), encoding="utf-8")
            subprocess.run([sys.executable, "-m", "bot", "ingest", str(news)], env=env, cwd=tmp_path,
                           check=True, capture_output=True)
            alerted = wait_for(lambda: any("🔔" in p.get("text", "") for p in server.sent()))
        finally:
            output = stop(proc)
        assert followed and answered and alerted, output[-3000:]
        [alert] = [p for p in server.sent() if "🔔" in p["text"]]
        assert alert["chat_id"] == "778" and "<b>عدن</b>" in alert["text"] and "الجملة 2" in alert["text"]
        assert 'href="https://news.example.org/aden"' in alert["text"]
        [(_, _, inline)] = [c for c in server.calls if c[1] == "answerInlineQuery"]
        results = json.loads(inline["results"])
        assert inline["inline_query_id"] == "42" and "خلوصي أكار" in results[0]["input_message_content"]["message_text"]
        assert TOKEN not in output
