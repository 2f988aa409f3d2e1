"""Topic alerts: the topics chats follow, kept in retrieval's TopicIndex, and matching new articles.

Matching reads the articles stored after the topics cursor, in batches, and records the pushes owed
together with the new cursor (bot/storage/topics.py); delivery then sends them. The index lives in
memory and is rebuilt from storage at start; following and unfollowing update it in place.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import Enum

from retrieval import NewsIndex, TopicIndex, topic_terms, weights_from

from bot.storage import TOPICS_CURSOR, Storage, Topic

# A chat follows a handful of topics; more is a sign of misuse and would flood the chat anyway.
MAX_TOPICS_PER_CHAT = 20
MAX_TOPIC_TEXT = 100
# Articles matched per transaction: an archive ingested at once is matched in steps.
MATCH_BATCH = 500

_SPACE = re.compile(r"\s+")


class FollowOutcome(Enum):
    ADDED = "added"
    EXISTS = "exists"  # the chat already follows a topic with the same terms
    EMPTY = "empty"  # nothing left to match once analyzed (stopwords, punctuation)
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class Followed:
    outcome: FollowOutcome
    topic: Topic | None = None


def clean_topic(text: str) -> str:
    return _SPACE.sub(" ", text).strip()[:MAX_TOPIC_TEXT].strip()


class TopicAlerts:
    def __init__(self, storage: Storage, topics: list[Topic]) -> None:
        self.storage = storage
        self.index: TopicIndex[int] = TopicIndex()
        self.topics: dict[int, Topic] = {}
        for topic in topics:
            self._add(topic)
        self._match_lock = asyncio.Lock()

    @classmethod
    async def load(cls, storage: Storage) -> TopicAlerts:
        await storage.cursor(TOPICS_CURSOR)  # a new cursor starts here, at start-up, not at the first match
        return cls(storage, await storage.topics())

    def _add(self, topic: Topic) -> None:
        if self.index.add(topic.id, topic.text):
            self.topics[topic.id] = topic

    def _remove(self, topic_id: int) -> None:
        self.index.remove(topic_id)
        self.topics.pop(topic_id, None)

    async def follow(self, chat_id: int, text: str) -> Followed:
        text = clean_topic(text)
        terms = topic_terms(text)
        if not terms:
            return Followed(FollowOutcome.EMPTY)
        mine = await self.storage.topics(chat_id)
        same = next((t for t in mine if topic_terms(t.text) == terms), None)
        if same is not None:
            return Followed(FollowOutcome.EXISTS, same)
        if len(mine) >= MAX_TOPICS_PER_CHAT:
            return Followed(FollowOutcome.TOO_MANY)
        topic_id, _ = await self.storage.follow(chat_id, text)
        topic = next(t for t in await self.storage.topics(chat_id) if t.id == topic_id)
        self._add(topic)
        return Followed(FollowOutcome.ADDED, topic)

    async def unfollow(self, chat_id: int, which: int | str) -> Topic | None:
        """Drop a topic of `chat_id`, by id or by its words (any spelling); the topic dropped, or None."""
        mine = await self.storage.topics(chat_id)
        if isinstance(which, int):
            topic = next((t for t in mine if t.id == which), None)
        else:
            terms = topic_terms(clean_topic(which))
            # The same words in any spelling; else the one topic holding all of them («عدن» for
            # «أخبار عدن»), never a guess among several.
            topic = next((t for t in mine if terms and topic_terms(t.text) == terms), None)
            holding = [t for t in mine if terms and set(terms) <= set(topic_terms(t.text))]
            if topic is None and len(holding) == 1:
                topic = holding[0]
        if topic is None or not await self.storage.unfollow(chat_id, topic.id):
            return None
        self._remove(topic.id)
        return topic

    async def forget_chat(self, chat_id: int) -> None:
        """A chat that blocked the bot: its topics go, with whatever was still owed to it."""
        for topic in await self.storage.topics(chat_id):
            self._remove(topic.id)
        await self.storage.unfollow_all(chat_id)

    async def following(self, chat_id: int) -> list[Topic]:
        return await self.storage.topics(chat_id)

    async def match_new(self, news: NewsIndex, max_age_days: float | None, upto_row: int | None = None) -> int:
        """Match the articles stored since the last run against every topic; the pushes recorded.
        `upto_row`: only articles up to that row (those `news` holds: an alert follows the index)."""
        recorded = 0
        async with self._match_lock:
            await self._sync()
            while True:
                done = await self.storage.cursor(TOPICS_CURSOR)
                last = await self.storage.max_article_row()
                if upto_row is not None:
                    last = min(last, upto_row)
                if done >= last:
                    return recorded
                upto = min(last, done + MATCH_BATCH)
                rows = await self.storage.articles_after(done, upto_row=upto, max_age_days=max_age_days)
                # A chat that gets every article gets these ones anyway: not twice.
                every = set(await self.storage.subscribers())
                matches = await self._match(rows, news, every) if len(self.index) else []
                await self.storage.record_topic_matches(upto, matches)
                recorded += len(matches)

    async def _sync(self) -> None:
        """Bring the in-memory index level with storage: with several workers on one database, a topic
        may have been followed or dropped through another one. Only new topics are analyzed."""
        stored = {topic.id: topic for topic in await self.storage.topics()}
        for topic_id in [t for t in self.topics if t not in stored]:
            self._remove(topic_id)
        for topic_id, topic in stored.items():
            if topic_id not in self.topics:
                self._add(topic)

    async def _match(self, rows: list, news: NewsIndex, skip: set[int]) -> list[tuple[int, int, int, int]]:
        # On the event loop, one article at a time: follow/unfollow change the index between articles,
        # never during one, and other updates are served in between.
        weight = weights_from(news.sentences.doc_freqs, news.sentences.size)
        found: list[tuple[int, int, int, int]] = []
        for row, article in rows:
            best: dict[int, tuple[float, int, int]] = {}  # chat -> (score, topic, sentence)
            for match in self.index.match(article.sentences, weight):
                topic = self.topics.get(match.topic)
                if topic is None or row <= topic.since_article or topic.chat_id in skip:
                    continue  # followed after this article was stored, or pushed to the chat anyway
                if topic.chat_id not in best or match.score > best[topic.chat_id][0]:
                    best[topic.chat_id] = (match.score, topic.id, match.sentence)
            found += [(row, chat, topic_id, sentence) for chat, (_, topic_id, sentence) in best.items()]
            await asyncio.sleep(0)
        return found

    def terms(self, topic_id: int) -> tuple[str, ...]:
        return self.index.terms(topic_id)
