"""Messages of the subscriptions: topic alerts with the sentence that matched, the topics list with
its remove buttons, the choice of every article or a digest, and digests. Pure functions over
render.py's escaping, highlighting and splitting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval import Article

from bot.core.alerts import MAX_TOPICS_PER_CHAT, FollowOutcome, Followed
from bot.core.digests import DIGEST_STORIES, EVERY_HOURS, PlanError, Story
from bot.core.results import Plan
from bot.storage import Topic
from bot.telegram import texts
from bot.telegram.render import esc, format_date, highlight, link, split_blocks

CALLBACK_UNFOLLOW = "unf:"  # + topic id
# A topic button's label: long topics are cut (Telegram shows about this much on a phone).
BUTTON_CHARS = 40


@dataclass(frozen=True)
class Alert:
    article: Article
    sentence: int  # 0-based
    terms: tuple[str, ...]  # the topic's index terms, highlighted in the quote
    topic: str | None


def cited_quote(article: Article, position: int, terms: Sequence[str] = ()) -> str:
    """One body sentence quoted verbatim, then its citation: source, linked title, date, sentence."""
    parts = [esc(article.source or texts.UNKNOWN_SOURCE), link(article.url, f"«{esc(article.title)}»")]
    date = format_date(article.published)
    if date:
        parts.append(date)
    parts.append(f"{texts.SENTENCE} {position + 1}")
    quote = highlight(article.sentences[position], frozenset(terms))
    return f"<blockquote>{quote}</blockquote>\n— {'، '.join(parts)}"


def render_alerts(alerts: Sequence[Alert]) -> list[str]:
    """One alert, or several owed to the same chat as one message."""
    if not alerts:
        return []
    if len(alerts) == 1:
        alert = alerts[0]
        heading = esc(texts.ALERT_HEADING.format(topic=alert.topic or "…"))
        return split_blocks([f"<b>{heading}</b>", cited_quote(alert.article, alert.sentence, alert.terms)])
    blocks = [f"<b>{esc(texts.ALERTS_HEADING.format(count=len(alerts)))}</b>"]
    for alert in alerts:
        label = f"<i>{esc(alert.topic)}</i>\n" if alert.topic else ""
        blocks.append(label + cited_quote(alert.article, alert.sentence, alert.terms))
    return split_blocks(blocks)


def render_followed(followed: Followed) -> str:
    topic = followed.topic.text if followed.topic else ""
    if followed.outcome is FollowOutcome.ADDED:
        return esc(texts.FOLLOWED.format(topic=topic))
    if followed.outcome is FollowOutcome.EXISTS:
        return esc(texts.ALREADY_FOLLOWING.format(topic=topic))
    if followed.outcome is FollowOutcome.TOO_MANY:
        return esc(texts.FOLLOW_TOO_MANY.format(limit=MAX_TOPICS_PER_CHAT))
    return esc(texts.FOLLOW_EMPTY)


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"


def following_keyboard(topics: Sequence[Topic]) -> InlineKeyboardMarkup | None:
    if not topics:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"❌ {_label(t.text)}", callback_data=f"{CALLBACK_UNFOLLOW}{t.id}")] for t in topics]
    )


def render_following(topics: Sequence[Topic]) -> list[str]:
    if not topics:
        return [esc(texts.FOLLOWING_EMPTY)]
    lines = [f"<b>{texts.FOLLOWING_HEADING}</b>"] + [f"• {esc(t.text)}" for t in topics]
    return split_blocks(["\n".join(lines), esc(texts.FOLLOWING_HINT)])


def unfollow_id(data: str | None) -> int | None:
    """The topic id in an unfollow button's callback data, or None if it is not one."""
    if not data or not data.startswith(CALLBACK_UNFOLLOW):
        return None
    rest = data[len(CALLBACK_UNFOLLOW):]
    return int(rest) if rest.isdigit() else None


# Digests ----------------------------------------------------------------------------------------

CALLBACK_PLAN = "plan:"  # + "all" | "every:N" | "daily" (asks the hour) | "daily:H"
PLAN_BUTTON_HOURS = (3, 6, 12)


def render_plan(plan: Plan, added: bool = True) -> str:
    digest = plan.digest
    if digest is None:
        return esc(texts.SUBSCRIBED if added else texts.ALREADY_SUBSCRIBED)
    if digest.every_hours is not None:
        return esc(texts.PLAN_EVERY.format(hours=texts.hours_text(digest.every_hours)))
    return esc(texts.PLAN_DAILY.format(hour=digest.at_hour or 0, tz=digest.tz))


def render_plan_error(error: PlanError) -> str:
    if error.kind == "hours":
        return esc(texts.PLAN_BAD_HOURS.format(choices="، ".join(str(h) for h in EVERY_HOURS)))
    if error.kind == "hour":
        return esc(texts.PLAN_BAD_HOUR)
    if error.kind == "tz":
        return esc(texts.PLAN_BAD_TZ)
    return esc(texts.PLAN_USAGE)


def plan_keyboard(plan: Plan | None) -> InlineKeyboardMarkup:
    """The choice: every article, a digest every few hours, or a daily digest; the current one ticked."""
    digest = plan.digest if plan else None

    def mark(label: str, current: bool) -> str:
        return f"✓ {label}" if current else label

    every = [
        InlineKeyboardButton(
            mark(texts.BUTTON_PLAN_EVERY.format(hours=texts.hours_text(h)), digest is not None and digest.every_hours == h),
            callback_data=f"{CALLBACK_PLAN}every:{h}",
        )
        for h in PLAN_BUTTON_HOURS
    ]
    daily = texts.BUTTON_PLAN_DAILY
    if digest is not None and digest.at_hour is not None:
        daily = f"✓ {daily} {digest.at_hour:02d}:00"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(mark(texts.BUTTON_PLAN_ALL, bool(plan and plan.every_article)),
                                  callback_data=f"{CALLBACK_PLAN}all")],
            every,
            [InlineKeyboardButton(daily, callback_data=f"{CALLBACK_PLAN}daily")],
        ]
    )


def hour_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"{h:02d}:00", callback_data=f"{CALLBACK_PLAN}daily:{h}") for h in range(r, r + 6)]
            for r in range(0, 24, 6)
        ]
    )


def plan_callback(data: str | None) -> list[str] | None:
    """A plan button's request as /subscribe arguments (["daily"] alone: ask the hour); None if not one."""
    if not data or not data.startswith(CALLBACK_PLAN):
        return None
    parts = data[len(CALLBACK_PLAN):].split(":")
    return parts if parts and parts[0] in ("all", "every", "daily") else None


def _sources(story: Story) -> str:
    seen: dict[str, str] = {}
    for article in story.articles:
        name = article.source or texts.UNKNOWN_SOURCE
        if name not in seen:
            seen[name] = link(article.url, esc(name))
    return "، ".join(seen.values())


def render_digest(stories: Sequence[Story], limit: int = DIGEST_STORIES) -> list[str]:
    """A digest: the top stories, one line each (the title, then every outlet that told it, linked)."""
    if not stories:
        return []
    lines = [f"<b>{esc(texts.DIGEST_HEADING.format(count=texts.news_count(len(stories))))}</b>"]
    lines += [f"• {esc(story.articles[0].title)} — {_sources(story)}" for story in stories[:limit]]
    if len(stories) > limit:
        lines.append(esc(texts.DIGEST_MORE.format(count=texts.news_count(len(stories) - limit))))
    return split_blocks(["\n".join(lines)])
