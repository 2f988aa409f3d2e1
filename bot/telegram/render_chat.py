"""Rendering a conversation's turns: small talk, the topic line above a follow-up's answer, and the
"more" and "source" buttons under an answer, with the callback data that makes them work after a
restart (what they need is in the data: a packed question, or an article's storage row)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval import Article, Reply, clip

from bot.core.results import Asked
from bot.telegram import texts
from bot.telegram.render import article_lines, esc, render_asked, render_reply, split_blocks

CALLBACK_MORE = "more"
CALLBACK_SOURCE = "src"
MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data
# The source of an answer: its article's first sentences (the lead), then the quoted one.
LEAD_SENTENCES = 2
LEAD_CHARS = 800
SOURCE_LABEL_CHARS = 24


def render_small_talk(kinds: tuple[str, ...]) -> list[str]:
    lines = [texts.SMALLTALK[k] for k in kinds[:2] if k in texts.SMALLTALK] or [texts.SMALLTALK["greeting"]]
    if kinds[-1:] != ("bye",):
        lines.append(texts.SMALLTALK_HINT)
    return [esc("\n".join(lines))]


def render_turn(asked: Asked) -> list[str]:
    """The reply to a message of a conversation: small talk, or the answer (a follow-up's under the
    topic it was read with)."""
    if asked.talk:
        return render_small_talk(asked.talk)
    pieces = render_asked(asked)
    if asked.topic and asked.reply is not None:
        pieces = split_blocks([f"<i>{esc(texts.TOPIC_LINE.format(topic=clip(asked.topic, 80)))}</i>", *pieces])
    return pieces


def more_data(code: str, page: int) -> str | None:
    data = f"{CALLBACK_MORE}:{page}:{code}"
    return data if code and len(data.encode()) <= MAX_CALLBACK_BYTES else None


def answer_keyboard(reply: Reply | None, rows: tuple[int | None, ...], code: str, page: int = 1) -> InlineKeyboardMarkup | None:
    """A "source" button per quoted answer whose article row is known, and "more" for the next answers."""
    if reply is None or not reply.answered:
        return None
    sources = [
        InlineKeyboardButton(
            texts.BUTTON_SOURCE.format(source=clip(a.article.source or texts.UNKNOWN_SOURCE, SOURCE_LABEL_CHARS)),
            callback_data=f"{CALLBACK_SOURCE}:{row}:{a.sentence}",
        )
        for a, row in zip(reply.answers, rows, strict=False) if row is not None
    ]
    keyboard = [sources] if sources else []
    if (data := more_data(code, page)) is not None:
        keyboard.append([InlineKeyboardButton(texts.BUTTON_MORE, callback_data=data)])
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def parse_button(data: str | None) -> tuple[str, int, str] | None:
    """("src", row, sentence) or ("more", page, packed question) from a button's data; None if malformed."""
    parts = (data or "").split(":", 2)
    if len(parts) != 3 or parts[0] not in (CALLBACK_MORE, CALLBACK_SOURCE) or not parts[1].isdigit():
        return None
    if parts[0] == CALLBACK_SOURCE and not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def render_more(reply: Reply) -> list[str]:
    if not reply.answered:
        return [esc(texts.MORE_NONE)]
    return render_reply(reply)


def render_source(article: Article | None, sentence: int) -> list[str]:
    """An answer's article: title, source and date, link, its lead and the sentence quoted."""
    if article is None:
        return [esc(texts.SOURCE_GONE)]
    blocks = ["\n".join(article_lines(article))]
    lead = article.sentences[:LEAD_SENTENCES]
    if lead:
        blocks.append(f"<blockquote>{esc(clip(' '.join(lead), LEAD_CHARS))}</blockquote>")
    if LEAD_SENTENCES < sentence <= len(article.sentences):
        quoted = clip(article.sentences[sentence - 1], LEAD_CHARS)
        blocks.append(f"<blockquote>{esc(quoted)}</blockquote>\n— {texts.SENTENCE} {sentence}")
    return split_blocks(blocks)
