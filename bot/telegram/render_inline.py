"""Inline mode's results (@bot سؤال in any chat): cited sentences, or the latest headlines.

Each result is an InlineQueryResultArticle: its title the start of the quote (or the headline), its
description the source and date, and the message it posts the quote with its citation and link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from telegram import InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions
from telegram.constants import ParseMode

from retrieval import Article

from bot.core.results import Asked
from bot.telegram import texts
from bot.telegram.render import article_lines, esc, format_date, link, split_blocks
from bot.telegram.render_subscriptions import cited_quote

TITLE_CHARS = 60
CACHE_SECONDS = 30  # answers change as news arrives: cache briefly


def _result_id(*parts: object) -> str:
    # Telegram allows 1-64 bytes; article ids can be long URLs.
    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def _start(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[: TITLE_CHARS - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > TITLE_CHARS // 2 else cut).rstrip(" ،,") + "…"  # at a word's end


def _description(article: Article) -> str:
    return " · ".join(p for p in (article.source or texts.UNKNOWN_SOURCE, format_date(article.published)) if p)


def _message(html: str) -> InputTextMessageContent:
    return InputTextMessageContent(
        split_blocks([html])[0], parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def _url(article: Article) -> str | None:
    return article.url if article.url and link(article.url, "x") != "x" else None


def inline_results(found: Asked | Sequence[Article]) -> list[InlineQueryResultArticle]:
    if not isinstance(found, Asked):
        return [
            InlineQueryResultArticle(
                id=_result_id("latest", a.id), title=_start(a.title), description=_description(a),
                input_message_content=_message("\n".join(article_lines(a))), url=_url(a),
            )
            for a in found
        ]
    if found.reply is None or not found.reply.answered:
        return []
    results = []
    for answer in found.reply.answers:
        article, position = answer.article, answer.sentence - 1
        quote = cited_quote(article, position, tuple(answer.matched_terms))
        read = link(article.url, esc(texts.READ_MORE))
        html = quote + (f"\n{read}" if read != esc(texts.READ_MORE) else "")
        results.append(
            InlineQueryResultArticle(
                id=_result_id(article.id, position), title=_start(answer.text), description=_description(article),
                input_message_content=_message(html), url=_url(article),
            )
        )
    return results
