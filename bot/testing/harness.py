"""`Harness`: the real Application and handlers over a FakeRequest; it feeds Update objects through
`Application.process_update` and runs delivery on demand."""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.core.service import NewsService
from bot.settings import Settings
from bot.telegram.app import build_application
from bot.telegram.delivery import DeliveryRun, refresh_and_deliver
from bot.testing.fake_telegram import BOT_ID, BOT_USERNAME, FAKE_TOKEN, Call, FakeRequest


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

    async def send_document(self, data: bytes, file_name: str, chat_id: int = 1001, *, caption: str | None = None,
                            chat_type: str = "private", user_id: int | None = None, file_size: int | None = None,
                            mime_type: str = "text/x-opml") -> list[Call]:
        """A file from a user (its bytes served to getFile and the download); `file_size` as Telegram
        reports it (default: the real size)."""
        file_id = f"BQAC-{next(self._ids)}"
        self.request.files[file_id] = data
        document = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_name": file_name,
                    "mime_type": mime_type, "file_size": len(data) if file_size is None else file_size}
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
            if caption.startswith("/"):
                extra["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": len(caption.split()[0])}]
        message = self.message(chat_id, chat_type=chat_type, user_id=user_id, **extra)
        return await self._run({"message": message}, chat_id)

    async def send_voice(self, chat_id: int = 1001) -> list[Call]:
        voice = {"file_id": "AwACAgIAAxk", "file_unique_id": "AgAE", "duration": 3}
        return await self._run({"message": self.message(chat_id, voice=voice)}, chat_id)

    async def edit_text(self, text: str, chat_id: int = 1001, *, chat_type: str = "private") -> list[Call]:
        message = self.message(chat_id, text=text, chat_type=chat_type, edit_date=int(time.time()))
        return await self._run({"edited_message": message}, chat_id)

    async def press_button(self, data: str, chat_id: int = 1001, message_id: int = 1, *,
                           chat_type: str = "private", user_id: int | None = None) -> list[Call]:
        bot_message = {"message_id": message_id, "date": int(time.time()), "chat": self.chat(chat_id, chat_type),
                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME},
                       "text": "…"}
        query = {"id": str(next(self._ids)), "from": self.user(user_id or abs(chat_id)), "chat_instance": "ci",
                 "data": data, "message": bot_message}
        return await self._run({"callback_query": query}, chat_id)

    async def send_inline(self, query: str, user_id: int = 1001) -> list[Call]:
        """An inline query (@bot query) from a user; returns the bot's answerInlineQuery calls."""
        start = len(self.request.calls)
        inline = {"id": str(next(self._ids)), "from": self.user(user_id), "query": query, "offset": ""}
        await self.process({"inline_query": inline})
        return [c for c in self.request.calls[start:] if c.method == "answerInlineQuery"]

    async def deliver(self) -> DeliveryRun:
        """One run of the delivery job: refresh the index, push what is owed."""
        return await refresh_and_deliver(self.application.bot, self.service)
