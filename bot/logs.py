"""Logging set-up and the filter that keeps the bot token out of every log line.

httpx logs each request URL, and Bot API URLs contain the token; tracebacks can too. The filter
formats each record itself (message and traceback) and replaces the token before any handler writes it.
"""

from __future__ import annotations

import logging
import traceback

REDACTED = "[TOKEN]"


def redact(text: str, token: str | None) -> str:
    if not token:
        return text
    text = text.replace(token, REDACTED)
    # The secret half alone (after "id:") is just as sensitive.
    secret = token.partition(":")[2]
    return text.replace(secret, REDACTED) if len(secret) >= 8 else text


def format_exception(exc: BaseException, token: str | None) -> str:
    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), token)


class TokenRedactor(logging.Filter):
    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        record.msg = redact(record.getMessage(), self.token)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1], self.token).rstrip("\n")
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def install_redaction(token: str | None, logger: logging.Logger | None = None) -> TokenRedactor:
    """Put a TokenRedactor on every handler of `logger` (the root by default)."""
    redactor = TokenRedactor(token)
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, TokenRedactor) for f in handler.filters):
            handler.addFilter(redactor)
    # Request lines at INFO are noise at best; at WARNING and above they are still redacted.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # one DEBUG line per SQL call otherwise
    return redactor


def setup_logging(level: str, token: str | None) -> None:
    """`level` is already checked by Settings (NEWSBOT_LOG_LEVEL)."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction(token)
