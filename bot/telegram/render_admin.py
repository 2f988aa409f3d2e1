"""Messages of the admins' commands: feeds added, removed, and their status; channels."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.alerts import FollowOutcome, Followed
from bot.core.channels import ChannelError, ChannelRequest
from bot.core.digests import PlanError
from bot.core.feed_admin import FeedChange, FeedOutcome, FeedStatus, OPMLImport
from bot.core.results import Plan
from bot.telegram import texts
from bot.telegram.render import esc, split_blocks
from bot.telegram.render_subscriptions import render_followed, render_plan, render_plan_error

ERROR_CHARS = 200
CALLBACK_FEEDS_OPML = "feeds_opml"


def render_feed_change(change: FeedChange | None) -> str:
    if change is None:
        return esc(texts.ADMINS_ONLY)
    outcome = change.outcome
    if outcome is FeedOutcome.ADDED:
        return esc(texts.FEED_ADDED.format(title=change.title, entries=change.entries))
    if outcome is FeedOutcome.INVALID:
        return esc(texts.FEED_INVALID.format(reason=(change.reason or "")[:ERROR_CHARS]))
    return esc({
        FeedOutcome.EXISTS: texts.FEED_EXISTS,
        FeedOutcome.REMOVED: texts.FEED_REMOVED,
        FeedOutcome.CONFIGURED: texts.FEED_CONFIGURED,
    }.get(outcome, texts.FEED_UNKNOWN))


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16] + " UTC"


def render_feeds(statuses: Sequence[FeedStatus] | None) -> list[str]:
    if statuses is None:
        return [esc(texts.ADMINS_ONLY)]
    if not statuses:
        return [esc(texts.FEEDS_EMPTY)]
    blocks = [f"<b>{texts.FEEDS_HEADING}</b>"]
    for status in statuses:
        state = status.state
        lines = [f"• <b>{esc(state.title if state and state.title else status.url)}</b>", f"<code>{esc(status.url)}</code>"]
        if state is None or state.last_fetch is None:
            health = texts.FEED_NEVER
        elif state.last_error:
            health = texts.FEED_FAILING.format(count=state.consecutive_errors, error=state.last_error[:ERROR_CHARS])
        else:
            health = texts.FEED_OK.format(when=_when(state.last_ok or state.last_fetch))
        origin = texts.FEED_FROM_CHAT if status.added else texts.FEED_FROM_SETTINGS
        lines.append(esc(f"{health} · {texts.FEED_ARTICLES.format(count=state.articles if state else 0)} · {origin}"))
        blocks.append("\n".join(lines))
    return split_blocks(blocks)


# An import's refusals listed one per line, at most this many (a 5,000-feed file is one message).
MAX_REFUSALS_SHOWN = 20


def render_opml_import(result: OPMLImport | None) -> list[str]:
    if result is None:
        return [esc(texts.ADMINS_ONLY)]
    lines = [esc(texts.OPML_IMPORTED.format(
        added=len(result.added), followed=len(result.followed), refused=len(result.refused)))]
    for url, why in result.refused[:MAX_REFUSALS_SHOWN]:
        lines.append(esc(texts.OPML_REFUSED_LINE.format(url=url[:ERROR_CHARS], why=why[:ERROR_CHARS])))
    if len(result.refused) > MAX_REFUSALS_SHOWN:
        lines.append(esc(texts.OPML_MORE_REFUSED.format(count=len(result.refused) - MAX_REFUSALS_SHOWN)))
    return split_blocks(["\n".join(lines)])


def feeds_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BUTTON_FEEDS_OPML, callback_data=CALLBACK_FEEDS_OPML)]])


def render_channel_error(error: ChannelError) -> str:
    if error.kind == "name":
        return esc(texts.CHANNEL_BAD_NAME)
    if error.kind in ("hours", "hour", "tz"):
        return render_plan_error(PlanError(error.kind))
    return esc(texts.CHANNEL_USAGE)


def render_channel(request: ChannelRequest, title: str, result: Followed | Plan | bool | None) -> str:
    if result is None:
        return esc(texts.ADMINS_ONLY)
    if isinstance(result, Followed):
        if result.outcome in (FollowOutcome.ADDED, FollowOutcome.EXISTS):
            return esc(texts.CHANNEL_TOPIC.format(title=title, topic=result.topic.text if result.topic else ""))
        return render_followed(result)
    if isinstance(result, Plan):
        return esc(texts.CHANNEL_DIGEST.format(title=title, plan="")) + render_plan(result)
    return esc((texts.CHANNEL_OFF if request.kind == "off" else texts.CHANNEL_ALL).format(title=title))
