"""`newsbot run` as a subprocess against the loopback Bot API, with its metrics port: /metrics read over
HTTP moves after a question and a push, and /healthz turns 503 when the database is gone; in webhook
mode, both also on the webhook's port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.settings import PROJECT_ROOT
from bot.testing import news_stream
from tests.botapi_server import BotAPIServer
from tests.test_bot_e2e import QUESTION, TOKEN, free_port, stop, wait_for

CHAT = {"id": 781, "type": "private", "first_name": "T"}
USER = {"id": 781, "is_bot": False, "first_name": "T"}


def update(update_id: int, text: str) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "text": text,
                                                "entities": entities, "chat": CHAT, "from": USER}}


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    raise KeyError(name)


def env_for(server: BotAPIServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_BOT_API_URL": server.url,
        "NEWSBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "NEWSBOT_SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
        "NEWSBOT_REFRESH_SECONDS": "0.5",
        "PYTHONPATH": str(PROJECT_ROOT),
        **extra,
    }


def test_metrics_move_and_health_fails_with_the_database(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with BotAPIServer() as server:
        env = env_for(server, tmp_path, NEWSBOT_METRICS_PORT=str(port))
        server.updates.append(update(1, "/subscribe"))
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert wait_for(lambda: http_get(base + "/healthz") == (200, "ok\n")), "never healthy"
            assert wait_for(lambda: any("تم الاشتراك" in p.get("text", "") for p in server.sent()))
            status, before = http_get(base + "/metrics")
            assert status == 200 and metric(before, "newsbot_questions_total", outcome="answered") == 0
            assert metric(before, "newsbot_pushes_total", kind="article", outcome="sent") == 0

            server.updates.append(update(2, QUESTION))
            assert wait_for(lambda: any("خلوصي أكار" in p.get("text", "") for p in server.sent()))
            # Another process stores two articles; the running bot indexes and pushes them.
            news_stream.write(tmp_path / "news", news_stream.generate(2, prefix="metrics"))
            subprocess.run([sys.executable, "-m", "bot", "ingest", str(tmp_path / "news")], env=env, cwd=tmp_path,
                           check=True, capture_output=True)
            assert wait_for(lambda: sum("(metrics " in p.get("text", "") for p in server.sent()) == 2)

            def pushed() -> bool:
                text = http_get(base + "/metrics")[1]
                return bool(text) and metric(text, "newsbot_pushes_total", kind="article", outcome="sent") == 2
            assert wait_for(pushed)
            after = http_get(base + "/metrics")[1]
            assert metric(after, "newsbot_questions_total", outcome="answered") == 1
            assert metric(after, "newsbot_answer_seconds_count") == 1
            assert metric(after, "newsbot_pushes_waiting") == 0
            assert metric(after, "newsbot_index_articles") == 3
            assert metric(after, "newsbot_index_refresh_seconds_count") >= 1

            # The database is gone: its file moved away (the open connection would go on answering).
            database = tmp_path / "bot.sqlite3"
            os.replace(database, tmp_path / "elsewhere.sqlite3")
            status, body = http_get(base + "/healthz")
            assert status == 503 and "database" in body
        finally:
            output = stop(proc)
        assert proc.returncode == 0, output[-3000:]
        assert "metrics and health on http://127.0.0.1:" in output
        assert TOKEN not in output and TOKEN.partition(":")[2] not in output


def test_webhook_mode_serves_health_and_metrics_on_its_own_port(tmp_path: Path) -> None:
    port = free_port()
    with BotAPIServer() as server:
        env = env_for(server, tmp_path, NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                      NEWSBOT_WEBHOOK_LISTEN="127.0.0.1", NEWSBOT_WEBHOOK_PORT=str(port),
                      NEWSBOT_METRICS_ON_WEBHOOK="true")
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n"))
            status, text = http_get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200 and metric(text, "newsbot_index_articles") == 1
        finally:
            output = stop(proc)
        assert proc.returncode == 0, output[-3000:]


def test_a_taken_metrics_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken, BotAPIServer() as server:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = env_for(server, tmp_path, NEWSBOT_METRICS_PORT=str(port))
        done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    # After the start-up log lines, one line saying what to fix.
    assert done.stderr.strip().splitlines()[-1].startswith(f"newsbot: NEWSBOT_METRICS_PORT: cannot listen on 127.0.0.1:{port}")
