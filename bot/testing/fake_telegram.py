"""`FakeRequest`: a `telegram.request.BaseRequest` that records every Bot API call and answers it the
way Telegram would (as PTB's own tests do), including Telegram's checks on HTML and message length; it
can be told to fail calls with 429, 403, 400, a network error or a simulated crash.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FAKE_TOKEN = "123456789:HARNESS-fake-token-0123456789abcdef"
BOT_ID = 123456789
BOT_USERNAME = "newsbot_harness_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
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
        try:
            return int(value) if value is not None else None
        except ValueError:  # an @username (getChat)
            return None

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


def check_html(text: str, limit: int = MAX_TEXT, caption: bool = False) -> str | None:
    """Telegram's complaint about an HTML message (or a photo's caption), or None if it would be accepted."""
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return "Bad Request: can't parse entities: unescaped &"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.error or parser.stack:
        return f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}"
    visible = "".join(parser.text)
    if len(visible.encode("utf-16-le")) // 2 > limit:
        return "Bad Request: message caption is too long" if caption else "Bad Request: message is too long"
    if not visible.strip() and not caption:
        return "Bad Request: message text is empty"
    return None


class FakeRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self._message_ids = itertools.count(1000)
        self._holds: dict[int, asyncio.Event] = {}
        # getChatMember: the users each group has as administrators (everyone else is a plain member).
        self.admins: dict[int, set[int]] = {}
        # Chats getChat knows, by @username and by id, with the bot's status there (getChatMember).
        self.chats: dict[str, dict[str, Any]] = {}
        self.bot_status: dict[int, dict[str, Any]] = {}
        # sendPhoto: picture URLs Telegram refuses, with its 400 description.
        self.photo_refusals: dict[str, str] = {}
        # Files users sent, by file_id: getFile describes them, the file URL serves their bytes.
        self.files: dict[str, bytes] = {}

    def add_channel(self, username: str, chat_id: int, title: str, *, bot_status: str = "administrator",
                    can_post: bool = True, chat_type: str = "channel") -> None:
        """A chat the bot can look up, where it is `bot_status` ("administrator", "member", "left"…)."""
        chat = {"id": chat_id, "type": chat_type, "title": title, "username": username.lstrip("@"),
                # ChatFullInfo's required fields (getChat returns the full info)
                "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}
        self.chats[username] = self.chats[str(chat_id)] = chat
        self.bot_status[chat_id] = {"status": bot_status, "can_post": can_post}

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

    def photos(self, chat_id: int | None = None) -> list[Call]:
        """Pictures the bot sent (successfully), to one chat or all."""
        return [c for c in self.calls if c.ok and c.method == "sendPhoto" and (chat_id is None or c.chat_id == chat_id)]

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
        if "/file/bot" in url:  # a file download (File.download_*): its bytes, not a JSON answer
            self.calls.append(Call("download", {"file_id": endpoint}))
            return (200, self.files[endpoint]) if endpoint in self.files else (404, b"Not Found")
        params = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            # An upload (sendDocument): the file's name and bytes, under the parameter's name.
            params["files"] = {key: (value[0], value[1]) for key, value in (request_data.multipart_data or {}).items()}
        call = Call(endpoint, params)
        hold = self._holds.get(call.chat_id) if call.chat_id is not None else None
        if hold is not None:
            await hold.wait()
        self.calls.append(call)
        failure = self._failure_for(endpoint, call.chat_id)
        if failure is None and endpoint in ("getChat", "getChatMember") and not self._knows(endpoint, params):
            failure = Failure(endpoint, "400", description="Bad Request: chat not found")
        if failure is not None:
            call.ok = False
            if failure.kind == "crash":
                raise SimulatedCrash(endpoint)
            if failure.kind == "network":
                raise NetworkError(f"simulated network failure: POST {url}")  # httpx errors name the URL
            if failure.kind == "timeout":
                raise TimedOut("simulated timeout")
            return _error(failure)
        problem = None
        if endpoint in ("sendMessage", "editMessageText") and params.get("parse_mode") == "HTML":
            problem = check_html(str(params.get("text", "")))
        elif endpoint == "sendPhoto":
            problem = self.photo_refusals.get(str(params.get("photo")))
            if problem is None and params.get("parse_mode") == "HTML":
                problem = check_html(str(params.get("caption", "")), MAX_CAPTION, caption=True)
        if problem:
            call.ok = False
            return 400, json.dumps({"ok": False, "error_code": 400, "description": problem}).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _knows(self, endpoint: str, params: dict[str, Any]) -> bool:
        if endpoint == "getChat":
            return str(params.get("chat_id")) in self.chats
        # getChatMember: the bot asking about itself in a chat it was never added to
        return int(params.get("user_id", 0)) != BOT_ID or int(params.get("chat_id", 0)) in self.bot_status

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if endpoint == "getUpdates":
            return []
        if endpoint == "getChat":
            return self.chats[str(params.get("chat_id"))]
        if endpoint == "getFile":
            file_id = str(params["file_id"])
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.files.get(file_id, b"")),
                    "file_path": f"documents/{file_id}"}
        if endpoint == "getChatMember":
            user, chat = int(params["user_id"]), int(params["chat_id"])
            if user == BOT_ID and chat in self.bot_status:  # the bot's own rights in a channel
                return _member(self.bot_status[chat])
            return chat_member(user, user in self.admins.get(chat, ()))
        if endpoint in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"):
            chat_id = params.get("chat_id", 0)
            message: dict[str, Any] = {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME},
            }
            if "text" in params:
                message["text"] = params["text"]
            if endpoint == "sendPhoto":
                message["photo"] = [{"file_id": "AgAC-photo", "file_unique_id": "AQAD-photo", "width": 800, "height": 450}]
                message["caption"] = params.get("caption", "")
            if endpoint == "sendDocument":
                message["document"] = {"file_id": "BQAC-doc", "file_unique_id": "AgAD-doc"}
            if "reply_markup" in params:
                markup = params["reply_markup"]
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            return message
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, …


def chat_member(user_id: int, admin: bool) -> dict[str, Any]:
    """A ChatMember as getChatMember answers it: an administrator, or a plain member."""
    user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if not admin:
        return {"status": "member", "user": user}
    rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
              "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
              "can_post_stories", "can_edit_stories", "can_delete_stories")
    return {"status": "administrator", "user": user, **{right: right == "can_manage_chat" for right in rights}}


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


def _member(status: dict[str, Any]) -> dict[str, Any]:
    """The bot's ChatMember object in a chat, as getChatMember returns it."""
    user = {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME}
    if status["status"] != "administrator":
        return {"status": status["status"], "user": user}
    rights = dict.fromkeys(
        ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
         "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
         "can_post_stories", "can_edit_stories", "can_delete_stories", "can_edit_messages"), False)
    return {"status": "administrator", "user": user, **rights, "can_post_messages": status["can_post"]}
