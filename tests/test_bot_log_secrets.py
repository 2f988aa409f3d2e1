"""No secret the bot uses reaches its log, at any level: `newsbot run` in webhook mode at DEBUG, against
the loopback Bot API, with the webhook secret left to its default (derived from the token) and, on
PostgreSQL, a password in NEWSBOT_DATABASE. Every line the process writes is captured and searched for
the token (and its secret half), the derived webhook secret and the database password."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.logs import REDACTED, SECRET
from bot.settings import derived_webhook_secret
from tests.botapi_server import BotAPIServer
from tests.pg_server import free_port
from tests.test_bot_e2e import QUESTION, TOKEN, post_webhook as post, run_env, stop, wait_for

DB_PASSWORD = "pg-Pa55word-never-logged"


def with_password(url: str) -> tuple[str, str]:
    """The test database's URL with a password in it (the suite's server trusts loopback, so any
    password connects), and that password; a server given with its own password keeps it."""
    parts = urlsplit(url)
    if parts.password:
        return url, parts.password
    netloc = f"{parts.username}:{DB_PASSWORD}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), DB_PASSWORD


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_secret_in_any_log_line_of_a_webhook_bot_at_debug(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    secrets = {"token": TOKEN, "token's secret half": TOKEN.partition(":")[2],
               "derived webhook secret": derived_webhook_secret(TOKEN)}
    database = str(tmp_path / "bot.sqlite3")
    if backend == "postgresql":
        database, secrets["database password"] = with_password(request.getfixturevalue("pg_url"))
    port = free_port()
    update = {"update_id": 7, "message": {"message_id": 1, "date": int(time.time()), "text": QUESTION,
                                          "chat": {"id": 780, "type": "private", "first_name": "T"},
                                          "from": {"id": 780, "is_bot": False, "first_name": "T"}}}
    with BotAPIServer() as server:
        env = run_env(server, tmp_path, NEWSBOT_DATABASE=database, NEWSBOT_LOG_LEVEL="DEBUG",
                      NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", NEWSBOT_WEBHOOK_LISTEN="127.0.0.1",
                      NEWSBOT_WEBHOOK_PORT=str(port))
        env.pop("NEWSBOT_WEBHOOK_SECRET", None)  # the default: derived from the token
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert wait_for(lambda: post(port, update, None) == 403)  # up, and asking for the secret
            # PTB logs a wrong secret at DEBUG; this one starts with the real one.
            assert post(port, update, secrets["derived webhook secret"] + "-x") == 403
            assert post(port, update, secrets["derived webhook secret"]) == 200
            answered = wait_for(lambda: any("خلوصي أكار" in p.get("text", "") for p in server.sent()))
        finally:
            output = stop(proc)
    assert answered, output[-3000:]
    [hook] = [p for _, m, p in server.calls if m == "setWebhook"]
    assert hook["secret_token"] == secrets["derived webhook secret"]  # Telegram was given it…
    for name, secret in secrets.items():
        assert secret not in output, f"the {name} is in the log"
    # …and the DEBUG lines that would have shown the secrets were written, redacted.
    assert f"Request had the wrong secret token: {SECRET}-x" in output, output[-3000:]
    assert any("Set Bot API URL" in line and REDACTED in line for line in output.splitlines())
    # Nor the user's words: PTB's DEBUG lines show each update and each call's parameters and result.
    assert QUESTION not in output and "[update 7 withheld]" in output
    assert "Calling Bot API endpoint `setWebhook` with parameters `[url, " in output  # parameters withheld
    assert proc.returncode == 0, output[-3000:]


# The same guarantee in process, for the ways a line can escape a filter on the root's handlers.
PASSWORD = "pa'ss\\wörd-42"  # quotes, a backslash and a non-ASCII letter: spelled differently in repr and JSON


def test_every_record_is_redacted_wherever_it_goes(capsys: pytest.CaptureFixture[str]) -> None:
    import gc
    import io
    import logging
    import threading
    import warnings

    from bot.logs import redact_every_record

    secret_half = TOKEN.partition(":")[2]
    webhook = derived_webhook_secret(TOKEN)
    stream = io.StringIO()
    root_handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(root_handler)
    own = logging.getLogger("test.own_handler")  # a library with its own handler, not propagating
    own_stream = io.StringIO()
    names = ("telegram.ext.ExtBot", "httpx", "asyncpg", "apscheduler.scheduler", "tornado.access", "test")
    levels = {name: logging.getLogger(name).level for name in names}
    undo = redact_every_record(TOKEN, (webhook, PASSWORD))
    try:
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)  # every level, whatever the suite set before
        own.propagate = False
        own.addHandler(logging.StreamHandler(own_stream))  # added after the redaction was set up
        own.warning("own handler: %s", TOKEN)
        for name in names[:-1]:
            for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
                logging.getLogger(name).log(level, "%s %s %s", name, {"secret_token": webhook}, secret_half)
        logging.getLogger("test").error("params %r, body %s", {"password": PASSWORD}, json.dumps({"p": PASSWORD}))
        logging.getLogger("test").debug("a call whose arguments do not fit %s %s", TOKEN)  # must not raise
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/setWebhook?secret_token={webhook}")
        except ConnectionError:
            logging.getLogger("telegram.ext.Updater").exception("failed")

        def thread_dies() -> None:
            raise RuntimeError(f"thread saw {webhook}")

        thread = threading.Thread(target=thread_dies)
        thread.start()
        thread.join()

        class Leaky:
            def __del__(self) -> None:
                raise RuntimeError(f"finalizer saw {PASSWORD}")

        Leaky()
        gc.collect()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(f"warned about {secret_half}")
    finally:
        undo()
        root.removeHandler(root_handler)
        own.handlers.clear()
        own.propagate = True
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    written = stream.getvalue() + own_stream.getvalue() + "".join(capsys.readouterr())
    for secret in (TOKEN, secret_half, webhook, PASSWORD, repr(PASSWORD)[1:-1], json.dumps(PASSWORD)[1:-1]):
        assert secret not in written, secret
    for seen in ("own handler: [TOKEN]", "tornado.access", "do not fit", "ConnectionError", "thread saw [SECRET]",
                 "finalizer saw [SECRET]", "warned about [TOKEN]"):
        assert seen in written, seen
    assert written.count("secret_token': '[SECRET]'") == 25
