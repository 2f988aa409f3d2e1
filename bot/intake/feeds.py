"""RSS 2.0 and Atom documents: from fetched bytes to entries with links, titles, summaries and dates."""

from __future__ import annotations

import logging
from calendar import timegm
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import feedparser

from retrieval import image_url

from bot.intake.fetch import FetchResult

log = logging.getLogger(__name__)

# feedparser flags these but still parses the document correctly.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class FeedError(Exception):
    """The feed document itself is unusable (malformed XML with nothing recoverable, not a feed)."""


@dataclass(frozen=True)
class Entry:
    key: str  # the entry's id/guid, else its link: what "already looked at" is keyed on
    link: str
    title: str | None
    summary: str | None
    published: datetime | None
    image: str | None = None  # the picture the feed gives the entry: enclosure, media:content/thumbnail


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: tuple[Entry, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (what, why) for entries with no usable link


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(timegm(value), tz=timezone.utc)
    return None


def _is_image(item: Any) -> bool:
    kind = str(item.get("type") or "").lower()
    medium = str(item.get("medium") or "").lower()
    return kind.startswith("image/") or medium == "image" or (not kind and not medium)


def _entry_image(entry: Any) -> str | None:
    """The entry's picture: an image enclosure, then media:content, then media:thumbnail (a media
    element that says nothing of its type is taken for a picture, as feed readers do; an enclosure
    must say image/*: most enclosures are podcasts)."""
    enclosures = [e.get("href") for e in entry.get("enclosures") or () if str(e.get("type") or "").lower().startswith("image/")]
    contents = [m.get("url") for m in entry.get("media_content") or () if _is_image(m)]
    thumbnails = [t.get("url") for t in entry.get("media_thumbnail") or ()]
    for candidate in (*enclosures, *contents, *thumbnails):
        found = image_url(candidate)
        if found is not None:
            return found
    return None


def parse_feed(result: FetchResult) -> Feed | None:
    """The feed in `result`, or None when the document is not a feed at all (an HTML page, say).

    Raises FeedError for a feed so malformed that no entry with a link survives.
    """
    parsed = feedparser.parse(
        result.content,
        response_headers={"content-type": result.content_type or "application/xml", "content-location": result.url},
    )
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    malformed = exc is not None and not isinstance(exc, _BENIGN_BOZO)
    if not parsed.get("version") and not parsed.entries:
        if malformed and result.content.lstrip()[:5] in (b"<?xml", b"<rss ", b"<feed", b"<rdf:"):
            raise FeedError(f"malformed feed XML: {exc}")
        return None
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []
    for item in parsed.entries:
        link = (item.get("link") or "").strip()
        if not link.lower().startswith(("http://", "https://")):
            skipped.append((str(item.get("title") or item.get("id") or "?")[:80], "entry has no http(s) link"))
            continue
        entries.append(
            Entry(
                key=str(item.get("id") or link),
                link=link,
                title=(item.get("title") or "").strip() or None,
                summary=item.get("summary") or None,
                published=_entry_time(item),
                image=_entry_image(item),
            )
        )
    if malformed:
        if not entries:
            raise FeedError(f"malformed feed XML: {exc}")
        log.warning("feed %s is not well-formed (%s); using the %d entries that parsed", result.url, exc, len(entries))
    title = (parsed.feed.get("title") or "").strip() or None
    return Feed(title=title, entries=tuple(entries), skipped=tuple(skipped))
