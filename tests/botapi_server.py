"""A tiny Bot API server on loopback for end-to-end tests: hands out queued updates, records calls."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from bot.testing.fake_telegram import chat_member

BOT = {"id": 42, "is_bot": True, "first_name": "NewsBot", "username": "newsbot_e2e_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


class FloodLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class BotAPIServer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (token part of the path, method, params)
        self.call_times: list[float] = []  # time.monotonic() of each call, beside `calls`
        # Who made each call: the path before /bot, so that workers given URLs …/w1/bot, …/w2/bot are told apart.
        self.callers: list[str] = []
        self.updates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._message_id = 100
        self.send_delay = 0.0  # seconds each sendMessage takes: a slow Telegram
        self.admins: dict[int, set[int]] = {}  # getChatMember: each group's administrators
        self.photo_refusals: dict[str, str] = {}  # sendPhoto: picture URL -> Telegram's 400 description
        # Flood limits: the next sendMessage to each chat here gets a 429 with this retry_after (once).
        self.flood: dict[int, int] = {}
        self.refused: list[tuple[float, int]] = []  # (time.monotonic(), chat) of each 429 given
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client died mid-request (a SIGKILLed worker): like Telegram, act on no part of it.
                    self.close_connection = True
                    return
                body = raw.decode("utf-8")
                params = _decode(body, self.headers.get("Content-Type", ""))
                caller, _, rest = self.path.partition("/bot")
                token, _, method = rest.rpartition("/")
                try:
                    result = server.answer(token, method, params, caller.strip("/"))
                except FloodLimited as flood:
                    status, body = 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": flood.seconds},
                                         "description": f"Too Many Requests: retry after {flood.seconds}"}
                except APIError as error:
                    status, body = error.code, {"ok": False, "error_code": error.code, "description": error.description}
                else:
                    status, body = 200, {"ok": True, "result": result}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/bot"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> BotAPIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, token: str, method: str, params: dict[str, Any], caller: str = "") -> Any:
        with self._lock:
            self.calls.append((token, method, params))
            self.call_times.append(time.monotonic())
            self.callers.append(caller)
            retry_after = self.flood.pop(int(params["chat_id"]), None) if method == "sendMessage" else None
            if retry_after is not None:
                self.refused.append((time.monotonic(), int(params["chat_id"])))
        if retry_after is not None:
            raise FloodLimited(retry_after)
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending:
                time.sleep(0.2)  # a short long-poll
            return pending
        if method == "getChatMember":
            user_id = int(params["user_id"])
            return chat_member(user_id, user_id in self.admins.get(int(params["chat_id"]), ()))
        if method == "sendPhoto":
            refusal = self.photo_refusals.get(str(params.get("photo")))
            if refusal is not None:
                raise APIError(400, refusal)
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            return {"message_id": message_id, "date": int(time.time()), "from": BOT,
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "caption": params.get("caption", ""),
                    "photo": [{"file_id": "AgAC-e2e", "file_unique_id": "AQAD-e2e", "width": 800, "height": 450}]}
        if method == "sendMessage":
            if self.send_delay:
                time.sleep(self.send_delay)
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT, "text": params.get("text", "")}
        return True

    def sent(self) -> list[dict[str, Any]]:
        """The params of every sendMessage call (a refused one included)."""
        with self._lock:
            return [p for _, m, p in self.calls if m == "sendMessage"]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, answered or refused, in arrival order."""
        with self._lock:
            return [p for _, m, p in self.calls if m == method]

    def sent_at(self) -> list[tuple[float, dict[str, Any]]]:
        """(time.monotonic(), params) of every sendMessage call, in arrival order."""
        with self._lock:
            return [(t, p) for t, (_, m, p) in zip(self.call_times, self.calls) if m == "sendMessage"]

    def sent_by(self) -> list[tuple[str, dict[str, Any]]]:
        """(caller, params) of every sendMessage, in arrival order."""
        with self._lock:
            return [(c, p) for c, (_, m, p) in zip(self.callers, self.calls) if m == "sendMessage"]


class APIError(Exception):
    """Raised by `answer` for a call the Bot API refuses: sent back as Telegram sends errors."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _decode(body: str, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    return {k: v[0] for k, v in parse_qs(body).items()}
