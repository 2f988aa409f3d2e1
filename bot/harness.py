"""The fake-update harness: the real Application and handlers, with only the Telegram transport replaced.

`FakeRequest` is a `telegram.request.BaseRequest` that records every Bot API call and answers it the
way Telegram would (as PTB's own tests do), including Telegram's checks on HTML and message length;
it can be told to fail calls with 429, 403, 400, a network error or a simulated crash. `Harness`
feeds Update objects through `Application.process_update`; `newsbot chat` puts it on a terminal.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, TextIO

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from bot.delivery import DeliveryRun, refresh_and_deliver
from bot.service import NewsService
from bot.settings import Settings

FAKE_TOKEN = "123456789:HARNESS-fake-token-0123456789abcdef"
BOT_ID = 123456789
BOT_USERNAME = "newsbot_harness_bot"
MAX_TEXT = 4096
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
                 "tg-spoiler", "span", "tg-emoji"}


class SimulatedCrash(BaseException):
    """Raised by FakeRequest to stand for the process dying mid-call (a BaseException, like SIGKILL,
    so no `except Exception` in the code under test can swallow it)."""


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return json.loads(markup) if isinstance(markup, str) else markup


@dataclass
class Failure:
    method: str
    kind: str  # "429", "403", "400", "network", "timeout", "crash"
    chat_id: int | None = None
    times: int | None = 1  # None: every matching call
    retry_after: int = 1
    description: str | None = None  # a 400's text, e.g. "Bad Request: message is too long"


class _TelegramHTML(HTMLParser):
    """Checks HTML the way Telegram's parser does, as far as it matters to us."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("http://", "https://", "tg://")):
                self.error = self.error or "Wrong HTTP URL"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"Unmatched end tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(text: str) -> str | None:
    """Telegram's complaint about an HTML message, or None if it would be accepted."""
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return "Bad Request: can't parse entities: unescaped &"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.error or parser.stack:
        return f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}"
    visible = "".join(parser.text)
    if len(visible.encode("utf-16-le")) // 2 > MAX_TEXT:
        return "Bad Request: message is too long"
    if not visible.strip():
        return "Bad Request: message text is empty"
    return None


class FakeRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self._message_ids = itertools.count(1000)
        self._holds: dict[int, asyncio.Event] = {}

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def fail(self, method: str, kind: str, *, chat_id: int | None = None, times: int | None = 1,
             retry_after: int = 1, description: str | None = None) -> None:
        self.failures.append(Failure(method, kind, chat_id, times, retry_after, description))

    def hold(self, chat_id: int) -> asyncio.Event:
        """Calls for `chat_id` wait until the returned event is set: a slow Telegram for one chat."""
        self._holds[chat_id] = asyncio.Event()
        return self._holds[chat_id]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages the bot sent (successfully), to one chat or all."""
        return [c for c in self.calls if c.ok and c.method == "sendMessage" and (chat_id is None or c.chat_id == chat_id)]

    def _failure_for(self, method: str, chat_id: int | None) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and (failure.chat_id is None or failure.chat_id == chat_id):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                return failure
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = Call(endpoint, params)
        hold = self._holds.get(call.chat_id) if call.chat_id is not None else None
        if hold is not None:
            await hold.wait()
        self.calls.append(call)
        failure = self._failure_for(endpoint, call.chat_id)
        if failure is not None:
            call.ok = False
            if failure.kind == "crash":
                raise SimulatedCrash(endpoint)
            if failure.kind == "network":
                raise NetworkError(f"simulated network failure: POST {url}")  # httpx errors name the URL
            if failure.kind == "timeout":
                raise TimedOut("simulated timeout")
            return _error(failure)
        if endpoint in ("sendMessage", "editMessageText") and params.get("parse_mode") == "HTML":
            problem = check_html(str(params.get("text", "")))
            if problem:
                call.ok = False
                return 400, json.dumps({"ok": False, "error_code": 400, "description": problem}).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if endpoint == "getUpdates":
            return []
        if endpoint in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = params.get("chat_id", 0)
            message: dict[str, Any] = {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME},
            }
            if "text" in params:
                message["text"] = params["text"]
            if "reply_markup" in params:
                markup = params["reply_markup"]
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            return message
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, …


def _error(failure: Failure) -> tuple[int, bytes]:
    if failure.kind == "429":
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {failure.retry_after}",
                "parameters": {"retry_after": failure.retry_after}}
        return 429, json.dumps(body).encode()
    if failure.kind == "403":
        body = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        return 403, json.dumps(body).encode()
    body = {"ok": False, "error_code": 400, "description": failure.description or "Bad Request: chat not found"}
    return 400, json.dumps(body).encode()


class Harness:
    """The real bot over a FakeRequest. Use `async with Harness(settings) as h:`."""

    def __init__(self, settings: Settings, *, rate_limiter: bool = True, token: str = FAKE_TOKEN) -> None:
        self.settings = settings
        self.request = FakeRequest()
        self.token = token
        self.rate_limiter = rate_limiter
        self.service: NewsService
        self.application: Application
        self._ids = itertools.count(1)

    async def __aenter__(self) -> Harness:
        self.service = await NewsService.start(self.settings)
        try:
            self.application = build_application(
                self.settings, self.service, request=self.request, token=self.token,
                rate_limiter=self.rate_limiter, jobs=False,
            )
            await self.application.initialize()
        except BaseException:
            await self.service.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.application.shutdown()
        finally:
            await self.service.close()

    # Building updates -------------------------------------------------------------------------

    @staticmethod
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "ar"}

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}

    def message(self, chat_id: int, *, text: str | None = None, chat_type: str = "private",
                user_id: int | None = None, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id or abs(chat_id)),
            **extra,
        }
        if text is not None:
            data["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                data.setdefault("entities", []).append({"type": "bot_command", "offset": 0, "length": len(command)})
        return data

    async def process(self, data: dict[str, Any]) -> None:
        data = {"update_id": next(self._ids), **data}
        await self.application.process_update(Update.de_json(data, self.application.bot))

    async def _run(self, data: dict[str, Any], chat_id: int) -> list[Call]:
        start = len(self.request.calls)
        await self.process(data)
        return [c for c in self.request.calls[start:] if c.chat_id == chat_id or c.method == "answerCallbackQuery"]

    async def send_text(self, text: str, chat_id: int = 1001, *, chat_type: str = "private", **extra: Any) -> list[Call]:
        """A text message (or command) from a user; returns the bot's calls for that chat."""
        return await self._run({"message": self.message(chat_id, text=text, chat_type=chat_type, **extra)}, chat_id)

    async def send_sticker(self, chat_id: int = 1001, *, chat_type: str = "private") -> list[Call]:
        sticker = {"file_id": "CAACAgIAAxk", "file_unique_id": "AgAD", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "type": "regular", "emoji": "😀"}
        return await self._run({"message": self.message(chat_id, chat_type=chat_type, sticker=sticker)}, chat_id)

    async def send_photo(self, chat_id: int = 1001) -> list[Call]:
        photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        return await self._run({"message": self.message(chat_id, photo=photo)}, chat_id)

    async def send_voice(self, chat_id: int = 1001) -> list[Call]:
        voice = {"file_id": "AwACAgIAAxk", "file_unique_id": "AgAE", "duration": 3}
        return await self._run({"message": self.message(chat_id, voice=voice)}, chat_id)

    async def edit_text(self, text: str, chat_id: int = 1001, *, chat_type: str = "private") -> list[Call]:
        message = self.message(chat_id, text=text, chat_type=chat_type, edit_date=int(time.time()))
        return await self._run({"edited_message": message}, chat_id)

    async def press_button(self, data: str, chat_id: int = 1001, message_id: int = 1) -> list[Call]:
        bot_message = {"message_id": message_id, "date": int(time.time()), "chat": self.chat(chat_id),
                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME},
                       "text": "…"}
        query = {"id": str(next(self._ids)), "from": self.user(abs(chat_id)), "chat_instance": "ci",
                 "data": data, "message": bot_message}
        return await self._run({"callback_query": query}, chat_id)

    async def deliver(self) -> DeliveryRun:
        """One run of the delivery job: refresh the index, push what is owed."""
        return await refresh_and_deliver(self.application.bot, self.service)


# The console -----------------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</blockquote>")


def readable(text: str) -> str:
    """An HTML message as plain text for the terminal: bold shown plainly, links as `label <url>`."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} <{html.unescape(m.group(1))}>", text)
    text = text.replace("<blockquote>", "“").replace("</blockquote>", "”")
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def print_calls(calls: list[Call], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for call in calls:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            print(f"[{call.params['text']}]", file=out)
        if call.method not in ("sendMessage", "editMessageText") or not call.ok:
            continue
        print(readable(call.text), file=out)
        markup = call.reply_markup
        for row in (markup or {}).get("inline_keyboard", []):
            print("  " + "  ".join(f"[{b['text']}]" for b in row), file=out)
        print(file=out, flush=True)


async def _chat(settings: Settings) -> int:
    interactive = sys.stdin.isatty()
    async with Harness(settings, rate_limiter=False) as harness:
        chat_id = 1001
        while True:
            if interactive:
                print("> ", end="", flush=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            print_calls(await harness.send_text(line, chat_id))
            # Articles ingested meanwhile (another terminal's `newsbot ingest`) reach a subscribed user here.
            start = len(harness.request.calls)
            await harness.deliver()
            print_calls([c for c in harness.request.calls[start:] if c.chat_id == chat_id])
    return 0


def chat_command(settings: Settings) -> int:
    try:
        return asyncio.run(_chat(settings))
    except KeyboardInterrupt:
        return 130
