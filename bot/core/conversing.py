"""NewsService's conversation: small talk, follow-ups read with the chat's last topic, and the "more"
and "source" buttons (a mixin: NewsService is the one object handlers call; this keeps its module short)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from retrieval import Article, NewsIndex, pack, small_talk, unpack

from bot.core.conversation import Conversations, key_of
from bot.core.questions import Asked, check_question, clean_question, cut_question
from bot.metrics import ABSTAINED, ANSWERED, REFUSED, SMALL_TALK, Metrics
from bot.settings import Settings
from bot.storage import Storage

# The packed question a "more" button carries: Telegram's 64 bytes less "more:N:".
MORE_CHARS = 56


class Conversing:
    """What NewsService gives it: its settings, storage, metrics, current index, article rows, its
    query log (the writes in flight, the writer) and `conversations`: what each chat (each member, in
    groups) talked about last, which follow-ups are read with."""

    conversations: Conversations
    settings: Settings
    storage: Storage
    metrics: Metrics
    _index: NewsIndex
    _rows: dict[str, int]
    _log_writes: set[asyncio.Task[None]]

    if TYPE_CHECKING:
        async def _log_query(self, chat_id: int | None, question: str, answered: bool, latency_ms: float) -> None: ...

    def _log_asked(self, chat_id: int | None, question: str, answered: bool, latency_ms: float) -> None:
        """Write the question to the query log beside the reply, never in its way (NewsService)."""
        task = asyncio.create_task(self._log_query(chat_id, question, answered, latency_ms))
        self._log_writes.add(task)
        task.add_done_callback(self._log_writes.discard)

    async def converse(self, chat_id: int, user_id: int | None, text: str, *, private: bool = True) -> Asked:
        """A message in a conversation: small talk is answered as such (the list in
        retrieval/conversation), a greeting glued to a question answers the question, and a follow-up
        («كم طولها؟») is asked with the topic the chat (the member, in groups) talked about last."""
        question, truncated = cut_question(clean_question(text))
        talk = small_talk(question)
        if talk is not None and talk.only:
            self.metrics.question(SMALL_TALK)  # nothing looked up: no latency
            return Asked(reply=None, talk=tuple(k.value for k in talk.kinds))
        if talk is not None:
            question = talk.rest
        refusal = check_question(question)
        if refusal is not None:
            self.metrics.question(REFUSED)
            return Asked(reply=None, refusal=refusal, truncated=truncated)
        turn = self.conversations.read(key_of(chat_id, user_id, private), question)
        started = time.perf_counter()
        reply, in_context = await asyncio.to_thread(turn.ask, self._index, self.settings.top_k)
        seconds = time.perf_counter() - started
        self.metrics.question(ANSWERED if reply.answered else ABSTAINED, seconds)
        self._log_asked(chat_id, question, reply.answered, seconds * 1000)
        self.conversations.answered(turn, reply, in_context)
        topic = turn.context.label if in_context and turn.context else ""
        return Asked(reply=reply, truncated=truncated, topic=topic, more=pack(turn.looked_up(in_context), MORE_CHARS),
                     rows=tuple(self._rows.get(a.article.id) for a in reply.answers))

    async def more(self, code: str, page: int) -> Asked:
        """The "more" button: the answers of the packed question after the first `page` × top_k stories."""
        k = self.settings.top_k
        reply = await asyncio.to_thread(self._index.ask_more, unpack(code), page * k, k)
        return Asked(reply=reply, more=code, rows=tuple(self._rows.get(a.article.id) for a in reply.answers))

    async def source(self, row: int) -> Article | None:
        """The "source" button: the article stored at `row` (aged out of the index or not)."""
        return await self.storage.article(row)

