"""Logging set-up and the filter that keeps secrets out of every log line.

httpx logs each request URL, and Bot API URLs contain the token; tracebacks can too, and a database
driver's error may quote its connection string. The filter formats each record itself (message and
traceback) and replaces the token and the other secrets (the database password, the webhook secret)
before any handler writes it.
"""

from __future__ import annotations

import logging
import traceback

REDACTED = "[TOKEN]"
SECRET = "[SECRET]"
# Shorter "secrets" (a password like "x") would blank out ordinary words in every line.
MIN_SECRET_CHARS = 4


def redact(text: str, token: str | None, secrets: tuple[str, ...] = ()) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # a longer secret may contain a shorter one
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, SECRET)
    if not token:
        return text
    text = text.replace(token, REDACTED)
    # The secret half alone (after "id:") is just as sensitive.
    secret = token.partition(":")[2]
    return text.replace(secret, REDACTED) if len(secret) >= 8 else text


def format_exception(exc: BaseException, token: str | None, secrets: tuple[str, ...] = ()) -> str:
    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), token, secrets)


class TokenRedactor(logging.Filter):
    """Replaces the token, and `secrets`, in every record it sees."""

    def __init__(self, token: str | None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.token = token
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token and not self.secrets:
            return True
        record.msg = redact(record.getMessage(), self.token, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1], self.token, self.secrets).rstrip("\n")
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.token, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token, self.secrets)
        return True


# PTB logs a whole update it could not parse, or (at DEBUG) every webhook body: a user's messages.
_UPDATE_DATA = ("Received data was", "received data:")
WITHHELD = "[update withheld]"


class UpdateWithholder(logging.Filter):
    """Keeps the content of updates (users' messages) out of PTB's log lines; ids are logged elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and isinstance(record.msg, str) and record.args:
            if any(marker in record.msg for marker in _UPDATE_DATA):
                count = len(record.args) if isinstance(record.args, tuple) else 1
                record.args = (WITHHELD,) * count
        return True


def install_redaction(
    token: str | None, logger: logging.Logger | None = None, secrets: tuple[str, ...] = ()
) -> TokenRedactor:
    """Put a TokenRedactor and an UpdateWithholder on every handler of `logger` (the root by default)."""
    redactor = TokenRedactor(token, secrets)
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, UpdateWithholder) for f in handler.filters):
            handler.addFilter(UpdateWithholder())  # first: the redactor formats the message
        if not any(isinstance(f, TokenRedactor) for f in handler.filters):
            handler.addFilter(redactor)
    # Request lines at INFO are noise at best; at WARNING and above they are still redacted.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # one DEBUG line per SQL call otherwise
    return redactor


def setup_logging(level: str, token: str | None, secrets: tuple[str, ...] = ()) -> None:
    """`level` is already checked by Settings (NEWSBOT_LOG_LEVEL); `secrets` (Settings.secrets) are
    redacted besides the token."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction(token, secrets=secrets)
