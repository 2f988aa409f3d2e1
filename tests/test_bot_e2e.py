"""`newsbot run` as a subprocess against a Bot API server on loopback: one conversation, end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.telegram import texts
from botapi_server import BotAPIServer

TOKEN = "987654321:E2E-secret-token-abcdefghijklmnop"
QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"


def wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_newsbot_run_answers_over_http(tmp_path: Path) -> None:
    with BotAPIServer() as server:
        server.updates.append({
            "update_id": 1,
            "message": {"message_id": 1, "date": int(time.time()), "text": QUESTION,
                        "chat": {"id": 777, "type": "private", "first_name": "Test"},
                        "from": {"id": 777, "is_bot": False, "first_name": "Test"}},
        })
        env = {
            **os.environ,
            "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
            "NEWSBOT_BOT_API_URL": server.url,
            "NEWSBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
            "NEWSBOT_SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
            "NEWSBOT_LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            answered = wait_for(lambda: any("خلوصي أكار" in p.get("text", "") for p in server.sent()))
        finally:
            output = stop(proc)
        assert answered, output[-3000:]
        [reply] = [p for p in server.sent() if "خلوصي أكار" in p["text"]]
        assert reply["chat_id"] == "777" and reply["parse_mode"] == "HTML"
        assert "الجملة 2" in reply["text"] and "<b>الدفاع</b>" in reply["text"]
        assert {token for token, _, _ in server.calls} == {TOKEN}  # the token went where it belongs…
        assert proc.returncode == 0, output[-3000:]
        assert "long polling" in output
        assert TOKEN not in output and TOKEN.partition(":")[2] not in output  # …and nowhere else


SECRET = "رقم هاتفي السري 0555123456"


def run_env(server: BotAPIServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_BOT_API_URL": server.url,
        "NEWSBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "NEWSBOT_SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
        "PYTHONPATH": str(PROJECT_ROOT),
        **extra,
    }


def test_unreadable_update_is_skipped_and_its_text_stays_out_of_the_log(tmp_path: Path) -> None:
    chat = {"id": 779, "type": "private", "first_name": "T"}
    user = {"id": 779, "is_bot": False, "first_name": "T"}
    with BotAPIServer() as server:
        server.updates += [
            {"update_id": 41, "message": {"message_id": 1, "text": SECRET, "chat": chat, "from": user}},  # no date
            {"update_id": 42, "message": {"date": int(time.time()), "text": SECRET, "chat": chat, "from": user}},
            {"update_id": 43, "message": {"message_id": 3, "date": int(time.time()), "text": SECRET, "chat": chat,
                                          "from": user, "entities": [{"type": "mention"}]}},  # entity, no offset
            # Readable by PTB, but not what the Bot API promises: a text that is a number, a message without a chat.
            {"update_id": 44, "message": {"message_id": 5, "date": int(time.time()), "text": 5, "chat": chat, "from": user}},
            {"update_id": 45, "message": {"message_id": 6, "date": int(time.time()), "text": SECRET, "from": user}},
            {"update_id": 46, "message": {"message_id": 4, "date": int(time.time()), "text": QUESTION, "chat": chat,
                                          "from": user}},
        ]
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=run_env(server, tmp_path), cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            answered = wait_for(lambda: any("خلوصي أكار" in p.get("text", "") for p in server.sent()))
        finally:
            output = stop(proc)
        assert answered, output[-3000:]  # before: polling fetched the same batch forever
        for update_id in (41, 42, 43):
            assert f"update {update_id} could not be read" in output
        assert "update 44 (message, chat 779) skipped: its text is not a string (int)" in output
        assert "update 45 (message, chat None) skipped: no chat" in output
        assert [p["text"] for p in server.sent()].count(texts.NON_TEXT) == 1  # 44's polite reply
        assert "Traceback" not in output and texts.ERROR not in [p["text"] for p in server.sent()]
        assert SECRET not in output and "0555123456" not in output
        polls = [p for _, m, p in server.calls if m == "getUpdates" and "allowed_updates" in p]
        assert polls and json.loads(polls[-1]["allowed_updates"]) == [
            "callback_query", "edited_message", "inline_query", "message", "my_chat_member"]


def stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, as a process manager would send; the bot's whole output."""
    proc.send_signal(signal.SIGTERM)
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output


def test_run_without_token_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_TELEGRAM_TOKEN": "", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "NEWSBOT_TELEGRAM_TOKEN" in done.stderr


def test_malformed_setting_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_REFRESH_SECONDS": "soon", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "NEWSBOT_REFRESH_SECONDS" in done.stderr
    env = {**os.environ, "NEWSBOT_TELEGRAM_TOKEN": TOKEN, "NEWSBOT_LOG_LEVEL": "LOUD", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "NEWSBOT_LOG_LEVEL" in done.stderr and TOKEN not in done.stderr


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_webhook(port: int, body: dict, secret: str | None) -> int:
    """POST an update to the bot's webhook on loopback, with the secret header unless `secret` is None:
    the HTTP status, or 0 when nothing answers yet."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    req = urllib.request.Request(f"http://127.0.0.1:{port}/hook", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_webhook_mode_checks_the_secret_token(tmp_path: Path) -> None:

    port = free_port()
    update = {"update_id": 5, "message": {"message_id": 1, "date": int(time.time()), "text": QUESTION,
                                          "chat": {"id": 778, "type": "private", "first_name": "T"},
                                          "from": {"id": 778, "is_bot": False, "first_name": "T"}}}

    def post(secret: str | None, body: dict = update) -> int:
        return post_webhook(port, body, secret)

    with BotAPIServer() as server:
        env = {
            **os.environ,
            "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
            "NEWSBOT_BOT_API_URL": server.url,
            "NEWSBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
            "NEWSBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
            "NEWSBOT_WEBHOOK_LISTEN": "127.0.0.1",
            "NEWSBOT_WEBHOOK_PORT": str(port),
            "NEWSBOT_WEBHOOK_SECRET": "s3cret-header-value",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert wait_for(lambda: any(m == "setWebhook" for _, m, _ in server.calls))
            assert wait_for(lambda: post(None) == 403)  # no secret header: refused
            assert post("wrong") == 403
            unreadable = {"update_id": 4, "message": {"message_id": 1, "text": SECRET, "chat": update["message"]["chat"]}}
            assert post("s3cret-header-value", unreadable) == 400  # PTB refuses it; its text is not logged
            assert post("s3cret-header-value") == 200
            assert wait_for(lambda: any("خلوصي أكار" in p.get("text", "") for p in server.sent()))
        finally:
            output = stop(proc)
        [hook] = [p for _, m, p in server.calls if m == "setWebhook"]
        assert hook["secret_token"] == "s3cret-header-value" and hook["url"].endswith("/hook")
        assert sum("خلوصي أكار" in p["text"] for p in server.sent()) == 1
        assert TOKEN not in output and SECRET not in output and "0555123456" not in output
        assert json.loads(hook["allowed_updates"]) == ["callback_query", "edited_message", "inline_query", "message", "my_chat_member"]
