"""Turning replies and articles into Telegram HTML messages: highlighting, citations, escaping, splitting.

Pure functions: no network. Every string that came from a user or an article goes through html.escape,
and every message is cut at block or line boundaries into pieces Telegram accepts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval import Answer, Article, RelatedHit, Reply, clip, term_spans

from bot.core.questions import MAX_QUESTION_CHARS
from bot.core.results import Asked, Refusal, Stats
from bot.metrics import Figures
from bot.telegram import texts

# Telegram's limit is 4096 characters of text after entity parsing; the markup only adds to the
# length we measure, so measuring the HTML source keeps us under it with room to spare.
MAX_MESSAGE = 4096
CALLBACK_SUBSCRIBE = "sub"
CALLBACK_UNSUBSCRIBE = "unsub"
# How much of a pushed article's body to show.
PUSH_SENTENCES = 2
# Ingest caps titles and sentences (retrieval); these bound what is shown whatever a stored row holds
# (rows stored before the caps), so a push or a /latest entry stays one message.
SHOWN_TITLE_CHARS = 200
PUSH_EXCERPT_CHARS = 800
QUOTE_CHARS = 1000
# Telegram's limit on a photo's caption, after entity parsing; a shorter excerpt than this is not
# worth showing under a picture.
MAX_CAPTION = 1024
MIN_CAPTION_EXCERPT = 60

# No "<" inside: a stray one cannot make every later "<" rescan the text to its end.
_TAG = re.compile(r"<[^<>]+>")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def tg_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def link(url: str | None, label: str) -> str:
    """`label` (already HTML) as a link, when `url` is a web address Telegram will accept."""
    if url and url.startswith(("http://", "https://")) and len(url) < 2000:
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    return label


def highlight(text: str, terms: Iterable[str]) -> str:
    """`text` escaped, with the words whose index term is in `terms` in bold."""
    spans = term_spans(text, frozenset(terms))
    out, at = [], 0
    for start, end in spans:
        out.append(esc(text[at:start]))
        out.append(f"<b>{esc(text[start:end])}</b>")
        at = end
    out.append(esc(text[at:]))
    return "".join(out)


def format_date(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value else None


def citation_html(answer: Answer) -> str:
    article = answer.article
    title = link(article.url, f"«{esc(clip(article.title, SHOWN_TITLE_CHARS))}»")
    source = esc(article.source or texts.UNKNOWN_SOURCE)
    date = format_date(article.published)
    dated = f"{date}، " if date else ""
    cited = f"— {source}، {title}، {dated}{texts.SENTENCE} {answer.sentence}"
    if answer.also_reported_by:
        others = "، ".join(link(o.url, esc(o.source or texts.UNKNOWN_SOURCE)) for o in answer.also_reported_by)
        cited += f"\n{esc(texts.ALSO_REPORTED_BY)}: {others}"
    return cited


def answer_block(answer: Answer) -> str:
    quote = highlight(clip(answer.text, QUOTE_CHARS), answer.matched_terms)
    return f"<blockquote>{quote}</blockquote>\n{citation_html(answer)}"


def related_block(related: Sequence[RelatedHit]) -> str | None:
    if not related:
        return None
    lines = [f"<b>{texts.RELATED_HEADING}</b>"]
    lines += [f"• {link(hit.link.url, esc(clip(hit.link.title, SHOWN_TITLE_CHARS)))}" for hit in related]
    return "\n".join(lines)


def render_reply(reply: Reply, *, truncated_at: int | None = None) -> list[str]:
    """The messages answering `reply`: quoted answers with citations, or the kind no-answer, then related links."""
    blocks: list[str] = []
    if truncated_at is not None:
        blocks.append(f"<i>{esc(texts.TRUNCATED_NOTE.format(chars=truncated_at))}</i>")
    if reply.answered:
        blocks += [answer_block(answer) for answer in reply.answers]
    else:
        blocks.append(esc(texts.NO_ANSWER_HTML))
    related = related_block(reply.related)
    if related:
        blocks.append(related)
    return split_blocks(blocks)


def render_asked(asked: Asked) -> list[str]:
    """The reply to a question: the answer, or why it was not looked up."""
    if asked.reply is None:
        return [esc(texts.EMPTY_QUESTION if asked.refusal is Refusal.EMPTY else texts.NOT_ARABIC)]
    return render_reply(asked.reply, truncated_at=MAX_QUESTION_CHARS if asked.truncated else None)


def render_help(admin: bool) -> str:
    # Admin commands are listed to admins only: nobody else can use them.
    return texts.HELP_HTML + (texts.HELP_ADMIN_HTML if admin else "")


def render_stats(stats: Stats | None) -> str:
    if stats is None:
        return esc(texts.ADMINS_ONLY)
    text = texts.STATS_HTML.format(
        articles=stats.articles, indexed=stats.indexed, chats=stats.chats, subscribers=stats.subscribers,
        answered=stats.answered, abstained=stats.abstained,
    )
    return text + render_figures(stats.figures) if stats.figures is not None else text


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return texts.NOT_YET
    if seconds == float("inf"):
        return "∞"
    return texts.MILLISECONDS.format(value=f"{seconds * 1000:.1f}".removesuffix(".0"))


def render_figures(figures: Figures) -> str:
    """The metrics (bot/metrics.py) in a few lines for /stats."""
    ago = figures.index_refreshed_ago_seconds
    return texts.STATS_RUNTIME_HTML.format(
        **figures.questions, mean=_ms(figures.answer_mean_seconds), p95=_ms(figures.answer_p95_seconds),
        **figures.pushes, waiting=figures.pushes_waiting,
        polls=sum(figures.feed_polls.values()), feeds_failing=figures.feeds_failing,
        ingested=figures.articles_ingested, index_articles=figures.index_articles,
        index_sentences=figures.index_sentences,
        ago=texts.NOT_YET if ago is None else texts.SECONDS_AGO.format(value=round(ago)),
        refresh_failures=figures.index_refresh_failures,
    )


def article_lines(article: Article) -> list[str]:
    lines = [f"<b>{esc(clip(article.title, SHOWN_TITLE_CHARS))}</b>"]
    meta = [esc(article.source or texts.UNKNOWN_SOURCE)]
    date = format_date(article.published)
    if date:
        meta.append(date)
    lines.append(" · ".join(meta))
    if article.url and link(article.url, "x") != "x":
        lines.append(link(article.url, esc(texts.READ_MORE)))
    return lines


def subscription_keyboard(subscribed: bool) -> InlineKeyboardMarkup:
    if subscribed:
        button = InlineKeyboardButton(texts.BUTTON_UNSUBSCRIBE, callback_data=CALLBACK_UNSUBSCRIBE)
    else:
        button = InlineKeyboardButton(texts.BUTTON_SUBSCRIBE, callback_data=CALLBACK_SUBSCRIBE)
    return InlineKeyboardMarkup([[button]])


def render_latest(articles: Sequence[Article]) -> list[str]:
    if not articles:
        return [esc(texts.LATEST_EMPTY)]
    blocks = [f"<b>{texts.LATEST_HEADING}</b>"]
    blocks += ["\n".join(article_lines(a)) for a in articles]
    return split_blocks(blocks)


def render_push(article: Article) -> list[str]:
    """A newly ingested article, as pushed to subscribers."""
    blocks = [f"🆕 {texts.NEW_ARTICLE}", "\n".join(article_lines(article))]
    if article.sentences:
        excerpt = clip(" ".join(article.sentences[:PUSH_SENTENCES]), PUSH_EXCERPT_CHARS)
        blocks.append(f"<blockquote>{esc(excerpt)}</blockquote>")
    return split_blocks(blocks)


@dataclass(frozen=True)
class PhotoPost:
    """A push sent as a picture (sendPhoto, by URL) with the push's HTML as its caption."""

    url: str
    caption: str


def visible_length(fragment: str) -> int:
    """How long Telegram counts an HTML fragment once its entities are parsed (UTF-16 units)."""
    return tg_length(strip_tags(fragment))


def push_photo(article: Article) -> PhotoPost | None:
    """The push of an article that has a picture, as a photo with the push as caption, within
    Telegram's 1,024-character caption limit: the excerpt (already a teaser, cut with «…») is
    shortened to fit. When the header, title and link alone do not fit, None: the picture is skipped
    and the push goes as text. Never a second message: a push is one message, the unit the delivery
    log records as sent (a crash between two would re-send the picture)."""
    if not article.image or not article.image.startswith(("http://", "https://")):
        return None
    caption = "\n\n".join([f"🆕 {texts.NEW_ARTICLE}", "\n".join(article_lines(article))])
    room = MAX_CAPTION - visible_length(caption) - 2  # the blank line before the excerpt
    if room < 0:
        return None
    if article.sentences and room >= MIN_CAPTION_EXCERPT:
        text = " ".join(article.sentences[:PUSH_SENTENCES])
        limit = min(PUSH_EXCERPT_CHARS, room)
        # clip() counts characters, Telegram UTF-16 units: shrink until it fits (rarely more than once).
        while limit >= MIN_CAPTION_EXCERPT:
            excerpt = esc(clip(text, limit))
            if tg_length(html.unescape(excerpt)) <= room:
                caption += f"\n\n<blockquote>{excerpt}</blockquote>"
                break
            limit -= max(1, tg_length(html.unescape(excerpt)) - room)
    return PhotoPost(article.image, caption)


def as_photo(pieces: Sequence[str], image: str | None) -> PhotoPost | None:
    """A one-message push (a topic alert) as a photo with that message as caption, when it has a
    picture and fits Telegram's caption limit whole; otherwise None: the picture is skipped."""
    if not image or not image.startswith(("http://", "https://")) or len(pieces) != 1:
        return None
    return PhotoPost(image, pieces[0]) if visible_length(pieces[0]) <= MAX_CAPTION else None


def strip_tags(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment))


def plain_pieces(fragment: str, limit: int = MAX_MESSAGE) -> list[str]:
    """An HTML message as plain text (sent without parse mode) in pieces of at most `limit` UTF-16
    units, cut at a space or line break where one is near: the fallback when Telegram refuses the HTML."""
    text = strip_tags(fragment).strip()
    pieces: list[str] = []
    # Walk an offset rather than re-slicing and re-measuring the rest: linear in the text's length.
    start, end = 0, len(text)
    while start < end:
        units, fit = 0, start
        while fit < end:  # `fit` stops at the first character past the limit
            units += 2 if ord(text[fit]) > 0xFFFF else 1
            if units > limit:
                break
            fit += 1
        if fit == end:
            pieces.append(text[start:])
            break
        space = max(text.rfind(" ", start, fit), text.rfind("\n", start, fit))
        cut = space if space - start > (fit - start) // 2 else fit
        pieces.append(text[start:cut].rstrip())
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return pieces


def _split_line(line: str, limit: int) -> list[str]:
    """A line too long for one message: its plain text, cut at spaces and escaped piece by piece.

    Markup is dropped here on purpose, since a cut inside a tag or an entity is exactly the 400 to avoid.
    Lengths are added up word by word (escaping is per character), so the cost is linear in the line.
    """
    pieces: list[str] = []
    current: list[str] = []
    current_units = 0  # Telegram length of esc(" ".join(current)); 0 when nothing is held
    for word in strip_tags(line).split(" "):
        word_units = tg_length(esc(word))
        candidate = current_units + 1 + word_units if current_units else word_units
        if candidate <= limit:
            if current_units:
                current.append(word)
            else:
                current = [word]
            current_units = candidate
            continue
        if current_units:
            pieces.append(esc(" ".join(current)))
        # A single word longer than the limit (a pasted blob) is cut by characters.
        cut = limit // 6  # worst case: every character escapes to six ("&quot;" is not used: five)
        start = 0
        while word_units > limit:
            chunk = esc(word[start : start + cut])
            pieces.append(chunk)
            word_units -= tg_length(chunk)
            start += cut
        current, current_units = [word[start:]], word_units
    if current_units:
        pieces.append(esc(" ".join(current)))
    return pieces


def _balanced(fragment: str) -> bool:
    opened = re.findall(r"<([a-z]+)[ >]", fragment)
    closed = re.findall(r"</([a-z]+)>", fragment)
    return sorted(opened) == sorted(closed)


def split_blocks(blocks: Sequence[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join blocks with blank lines into as few messages as fit in `limit`, never cutting a tag.

    A block that is too long alone is split at its lines, if each line is balanced markup; a line
    still too long loses its markup and is cut at spaces.
    """
    units: list[tuple[str, str]] = []  # (text, separator before it)
    for block in blocks:
        if tg_length(block) <= limit:
            units.append((block, "\n\n"))
            continue
        lines = block.split("\n")
        if not all(_balanced(line) for line in lines):
            lines = [strip_tags_keep_escaped(block)]
        first = True
        for line in lines:
            for piece in [line] if tg_length(line) <= limit else _split_line(line, limit):
                units.append((piece, "\n\n" if first else "\n"))
                first = False
    messages: list[str] = []
    current = ""
    for text, sep in units:
        if not current:
            current = text
        elif tg_length(current) + tg_length(sep) + tg_length(text) <= limit:
            current += sep + text
        else:
            messages.append(current)
            current = text
    if current:
        messages.append(current)
    return messages


def strip_tags_keep_escaped(fragment: str) -> str:
    """Markup removed, text still escaped (for an unbalanced multi-line block)."""
    return esc(strip_tags(fragment))
