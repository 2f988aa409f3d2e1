"""The bot token never reaches a log line: httpx-style request lines, tracebacks, the error handler."""

from __future__ import annotations

import io
import logging

from bot.telegram import texts
from bot.testing.fake_telegram import FAKE_TOKEN
from bot.testing.harness import Harness
from bot.logs import REDACTED, TokenRedactor, install_redaction

SECRET = FAKE_TOKEN.partition(":")[2]


def test_httpx_style_lines_and_tracebacks_are_redacted(caplog) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_redaction(FAKE_TOKEN)
        url = f"https://api.telegram.org/bot{FAKE_TOKEN}/getUpdates"
        logging.getLogger("httpx").warning('HTTP Request: POST %s "HTTP/1.1 502 Bad Gateway"', url)
        logging.getLogger("httpx").info('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)  # below WARNING now
        try:
            raise ConnectionError(f"cannot connect to {url}")
        except ConnectionError:
            logging.getLogger("telegram.ext.Updater").exception("polling failed for %s", url)
        logging.getLogger("x").error("secret half alone: %s", SECRET)
    finally:
        root.removeHandler(handler)
        for h in root.handlers:
            h.filters = [f for f in h.filters if not isinstance(f, TokenRedactor)]
    written = stream.getvalue()
    assert "HTTP/1.1 502" in written and "ConnectionError" in written and REDACTED in written
    assert "200 OK" not in written
    for text in (written, caplog.text):
        assert FAKE_TOKEN not in text and SECRET not in text


async def test_error_handler_output_is_redacted(harness: Harness, caplog) -> None:
    # The network error's message carries the request URL, token included, as httpx errors do.
    harness.request.fail("sendMessage", "network", chat_id=1001)
    calls = await harness.send_text("/help")
    assert calls[-1].ok and calls[-1].text == texts.ERROR
    assert "simulated network failure" in caplog.text and REDACTED in caplog.text
    assert FAKE_TOKEN not in caplog.text and SECRET not in caplog.text
