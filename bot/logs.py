"""Logging set-up, and the redaction that keeps secrets out of every log line.

httpx logs each request URL, and Bot API URLs contain the token; PTB's DEBUG lines show each call's
parameters (setWebhook's secret among them); tracebacks can hold any of them, and a database driver's
error may quote its connection string. Every record is redacted when it is made, by a LogRecord
factory: message and traceback are formatted then and the token and the other secrets (the database
password, the webhook secret, set or derived) replaced, whatever logger it comes from and whichever
handler writes it, one added later included. The handlers of the root logger carry the same
redaction as a filter, and uncaught exceptions (main thread, other threads, "exception ignored")
and warnings go through the log instead of Python's own printers, which would not redact them.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote

REDACTED = "[TOKEN]"
SECRET = "[SECRET]"
# Shorter "secrets" (a password like "x") would blank out ordinary words in every line.
MIN_SECRET_CHARS = 4

log = logging.getLogger(__name__)


def _spellings(secret: str) -> set[str]:
    """A secret as a log line may show it: as is, inside a repr (a dict of parameters), inside JSON
    (a request body) and percent-encoded (a URL)."""
    return {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], quote(secret, safe="")}


class Redactor:
    """Replaces the token (and its secret half alone) with [TOKEN] and each of `secrets` with [SECRET]."""

    def __init__(self, token: str | None, secrets: tuple[str, ...] = ()) -> None:
        pairs: dict[str, str] = {}
        for secret in secrets:
            if len(secret) >= MIN_SECRET_CHARS:
                pairs.update(dict.fromkeys(_spellings(secret), SECRET))
        if token:
            pairs.update(dict.fromkeys(_spellings(token), REDACTED))
            half = token.partition(":")[2]  # the part after "id:" is just as sensitive
            if len(half) >= 8:
                pairs.update(dict.fromkeys(_spellings(half), REDACTED))
        # A longer secret may contain a shorter one: replace the longer first.
        self._pairs = sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)

    def text(self, text: str) -> str:
        for secret, mark in self._pairs:
            if secret in text:
                text = text.replace(secret, mark)
        return text

    def record(self, record: logging.LogRecord) -> None:
        """Format `record` now (message, traceback, stack) and redact what it will show, in place."""
        if not self._pairs:
            return
        record.msg = self.text(_message(record))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.text(_traceback(record.exc_info[1])).rstrip("\n")
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.text(record.stack_info)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a log call whose arguments do not fit its format: never raise into the caller
        return f"{record.msg} (arguments that do not fit the format: {record.args!r})"


def _traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def redact(text: str, token: str | None, secrets: tuple[str, ...] = ()) -> str:
    return Redactor(token, secrets).text(text)


def format_exception(exc: BaseException, token: str | None, secrets: tuple[str, ...] = ()) -> str:
    return Redactor(token, secrets).text(_traceback(exc))


class TokenRedactor(logging.Filter):
    """Replaces the token, and `secrets`, in every record it sees."""

    def __init__(self, token: str | None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.token = token
        self.secrets = secrets
        self.redactor = Redactor(token, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        self.redactor.record(record)
        return True


# PTB logs a whole update it could not parse, or (at DEBUG) every webhook body and every update it
# processes or drops: a user's messages.
_UPDATE_DATA = ("Received data was", "received data:", "Processing update", "Dropping pending update")
WITHHELD = "[update withheld]"
# At DEBUG PTB also shows each Bot API call's parameters and result: what the bot sends (a reply can
# repeat the user's words, a followed topic) and what it receives (getUpdates: users' messages).
_CALL_LINES = ("Calling Bot API endpoint `%s` with parameters `%s`",
               "Call to Bot API endpoint `%s` finished with return value `%s`")


def withhold_update(record: logging.LogRecord) -> None:
    """Keeps the content of updates and messages (users' words) out of PTB's log lines; the update ids
    and the Bot API methods called stay."""
    if not (record.name.startswith("telegram") and isinstance(record.msg, str) and record.args):
        return
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    if record.msg in _CALL_LINES and len(args) == 2:
        endpoint, data = args
        if isinstance(data, dict) and data:
            data = f"[{', '.join(map(str, data))}: withheld]"
        elif not isinstance(data, (bool, int, dict)) and data is not None:
            data = f"[{type(data).__name__} withheld]"
        record.args = (endpoint, data)
    elif any(marker in record.msg for marker in _UPDATE_DATA):
        record.args = tuple(f"[update {a.update_id} withheld]" if _int_id(a) else WITHHELD for a in args)


def _int_id(value: object) -> bool:
    return isinstance(getattr(value, "update_id", None), int)


class UpdateWithholder(logging.Filter):
    """`withhold_update` as a handler's filter."""

    def filter(self, record: logging.LogRecord) -> bool:
        withhold_update(record)
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


def redact_every_record(token: str | None, secrets: tuple[str, ...] = ()) -> Callable[[], None]:
    """Redact every log record when it is made, and send uncaught exceptions and warnings through the
    log; returns what undoes it (for tests: the bot itself keeps it for the life of the process)."""
    redactor = Redactor(token, secrets)
    previous = logging.getLogRecordFactory()
    hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        withhold_update(record)  # first: redaction formats the message
        redactor.record(record)
        return record

    logging.setLogRecordFactory(make_record)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    sys.unraisablehook = _log_unraisable
    logging.captureWarnings(True)

    def undo() -> None:
        logging.setLogRecordFactory(previous)
        sys.excepthook, threading.excepthook, sys.unraisablehook = hooks
        logging.captureWarnings(False)

    return undo


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    log.critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return  # as Python's own hook: a thread that exits is not an error
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value is not None else None
    log.critical("uncaught exception in thread %s", name, exc_info=exc_info)


def _log_unraisable(unraisable: Any) -> None:
    exc = unraisable.exc_value
    exc_info = (unraisable.exc_type, exc, unraisable.exc_traceback) if exc is not None else None
    log.error("%s: %r", unraisable.err_msg or "Exception ignored in", unraisable.object, exc_info=exc_info)


def setup_logging(level: str, token: str | None, secrets: tuple[str, ...] = ()) -> None:
    """`level` is already checked by Settings (NEWSBOT_LOG_LEVEL); `secrets` (Settings.secrets) are
    redacted besides the token."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction(token, secrets=secrets)
    redact_every_record(token, secrets)
