"""What a chat talked about last: the topic a follow-up («كم طولها؟») is read with, per chat (and per
user in groups), for CONTEXT_SECONDS, in a bounded LRU in memory.

Why memory and not storage: a context lives half an hour and only improves the next question; losing
it (a restart, another worker answering in a several-worker deployment) costs one follow-up being
asked alone, which the reply shows (no «عن: …» line), never a wrong topic. Storage would put a write
on every question's path and a table of what users talk about into the database for that. The
interface (get/put/forget) is all the service uses, so a storage-backed one can replace this class.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from retrieval import NewsIndex, Reading, Reply, read_question

# A follow-up reads the previous turn for this long (the "say 30 minutes").
CONTEXT_SECONDS = 30 * 60
# Chats (or group members) remembered at once; the least recently active go first.
MAX_CONTEXTS = 10_000
# The story answered: its first answer's article and that sentence's other outlets, at most this many.
MAX_STORY_ARTICLES = 8

Key = tuple[int, int]  # (chat, user): the user is 0 in private chats, whose chat is the user


@dataclass(frozen=True)
class Topic:
    """The previous turn: its topic phrase, the story it was answered from, the sentences quoted."""

    label: str
    articles: tuple[str, ...]
    seen: tuple[tuple[str, int], ...]
    at: float


def key_of(chat_id: int, user_id: int | None, private: bool) -> Key:
    return (chat_id, 0 if private or user_id is None else user_id)


def story_of(reply: Reply) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """The articles a reply's story is told in (its first answer's, then that sentence's other
    outlets; the other answers are other stories, measured: taking them in pulls follow-ups
    towards them) and the sentences it quoted (article id, 0-based position)."""
    if not reply.answers:
        return (), ()
    first = reply.answers[0]
    articles = (first.article.id, *(o.id for o in first.also_reported_by))
    seen = tuple((a.article.id, a.ref.position) for a in reply.answers)
    return tuple(dict.fromkeys(articles))[:MAX_STORY_ARTICLES], seen


@dataclass(frozen=True)
class Turn:
    """A question of a conversation, read: with the previous turn's topic when it is a follow-up."""

    key: Key
    question: str
    reading: Reading
    context: Topic | None

    def looked_up(self, in_context: bool) -> str:
        """The question with the topic it was read with: what the "more" button asks again."""
        return f"{self.reading.question} {self.context.label}" if in_context and self.context else self.question

    def ask(self, index: NewsIndex, top_k: int) -> tuple[Reply, bool]:
        """The answer, and whether it was read with the previous topic (blocking: run it off the
        event loop). A follow-up is answered from the story just told (its articles and the other
        outlets' telling of it) when that story answers it, else from any story on the topic. A
        complete question with one word of its own (Reading.maybe) is answered from the previous
        story when that story answers it with that word, else alone."""
        if self.context is None:
            return index.ask(self.question, top_k), False
        for only_story in (True, False):
            reply = index.ask_in_context(
                self.reading.question, top_k, topic=self.context.label, prefer=self.context.articles,
                seen=self.context.seen, must=self.reading.must, only_story=only_story,
            )
            if reply.answered or self.reading.maybe:
                break
        if self.reading.maybe and not reply.answered:
            return index.ask(self.question, top_k), False
        return reply, True


class Conversations:
    """The last topic of each chat (or group member), at most `size` of them, each for `ttl` seconds."""

    def __init__(self, ttl: float = CONTEXT_SECONDS, size: int = MAX_CONTEXTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._topics: OrderedDict[Key, Topic] = OrderedDict()

    def __len__(self) -> int:
        return len(self._topics)

    def get(self, key: Key) -> Topic | None:
        """The topic of `key` if it is younger than the ttl (an older one is dropped)."""
        topic = self._topics.get(key)
        if topic is None:
            return None
        if self.clock() - topic.at > self.ttl:
            del self._topics[key]
            return None
        self._topics.move_to_end(key)
        return topic

    def read(self, key: Key, question: str) -> Turn:
        """`question` as the next turn of `key`'s conversation."""
        reading = read_question(question)
        return Turn(key, question, reading, self.get(key) if reading.follows or reading.maybe else None)

    def answered(self, turn: Turn, reply: Reply, in_context: bool) -> None:
        """Remember what `turn` was answered with: a complete question starts a new topic."""
        self.put(turn.key, turn.reading.topic, reply, keep=turn.context if in_context else None)

    def put(self, key: Key, label: str, reply: Reply, keep: Topic | None = None) -> None:
        """Remember the turn just answered. `keep`: a follow-up's context, whose topic stays (the chat
        still talks about it) while the story moves to the one just quoted."""
        articles, seen = story_of(reply)
        if keep is not None:
            label = keep.label
            articles = tuple(dict.fromkeys(articles + keep.articles))[:MAX_STORY_ARTICLES] if articles else keep.articles
            seen = seen or keep.seen
        if not label or not articles:
            self._topics.pop(key, None)  # nothing answered: no story to read the next question with
            return
        self._topics[key] = Topic(label, articles, seen, self.clock())
        self._topics.move_to_end(key)
        while len(self._topics) > self.size:
            self._topics.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        """Every context of a chat (it blocked the bot or removed it from a group)."""
        for key in [k for k in self._topics if k[0] == chat_id]:
            del self._topics[key]
