"""From a fetched news page to a retrieval Article: body text, title, date, canonical URL, related links.

The body comes from trafilatura (measured on Arabic fixture pages: see notes/feeds_report.md and
benchmarks/bench_extract.py), one paragraph per line so retrieval's parser and sentence splitter see
the page's structure. Canonical URL, date and related links are read from the markup directly,
because trafilatura lower-cases hosts and gives dates to the day only.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import trafilatura

from retrieval import Article
from retrieval import build_article, image_url, parse_published, split_sentences

log = logging.getLogger(__name__)

# Less than this much body text is a stub, a paywall or an index page, not an article, unless it is
# a brief: at least two full sentences (news agencies publish two-sentence items of ~140 characters).
MIN_ARTICLE_CHARS = 150
MIN_BRIEF_SENTENCES = 2
MIN_BRIEF_SENTENCE_WORDS = 4
MAX_RELATED = 5
MIN_RELATED_WORDS = 3

# Tracking parameters differ per feed and per share button, never per story.
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|ocid|cmpid|at_medium|at_campaign)$", re.I)
_RELATED_CLASS = re.compile(r"related|read-?more|see-?also|more-?news", re.I)
_RELATED_HEADING = re.compile(r"(اقرأ|إقرأ|اقرا|تابع|شاهد|طالع)\s+(أيضا|أيضاً|ايضا|ايضاً|كذلك)|ذات\s+صلة|أخبار\s+متعلقة|مواضيع\s+متعلقة")
_BLOCK_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h[1-6])\s*/?>")
# No "<" inside: a stray "<" in a summary neither swallows the text up to the next tag nor makes
# every later "<" rescan the fragment to its end (quadratic).
_TAG = re.compile(r"<[^<>]+>")
_HOST_PREFIX = re.compile(r"^(www|m|amp|mobile)\.")


class NoArticleError(ValueError):
    """The page holds no article text, and there is no usable summary to fall back to."""


@dataclass(frozen=True)
class PageContent:
    url: str  # canonical when the page names one on its own site, else the fetched URL
    title: str | None
    text: str  # paragraphs, one per line; "" when the page has no article
    published: datetime | None
    sitename: str | None = None
    related: tuple[dict[str, str], ...] = field(default_factory=tuple)
    image: str | None = None  # the lead picture the page names (og:image, twitter:image), absolute


def normalize_url(url: str) -> str:
    """A stable key for a story's address: no fragment, no tracking parameters, lower-case host."""
    url, _ = urldefrag(url.strip())
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def article_id_for(url: str) -> str:
    return "web_" + hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:16]


def _same_site(a: str, b: str) -> bool:
    host_a = _HOST_PREFIX.sub("", urlsplit(a).hostname or "")
    host_b = _HOST_PREFIX.sub("", urlsplit(b).hostname or "")
    return bool(host_a) and host_a == host_b


def _canonical(tree: Any, page_url: str) -> str:
    # A canonical on another site could be a syndication partner's or a hostile page's claim to a
    # story it does not hold; only trust one on the page's own site.
    candidates = tree.xpath('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href')
    candidates += tree.xpath('//meta[@property="og:url"]/@content')
    for href in candidates:
        absolute = urljoin(page_url, href.strip())
        if absolute.lower().startswith(("http://", "https://")) and _same_site(absolute, page_url):
            return normalize_url(absolute)
    return normalize_url(page_url)


def _published(tree: Any) -> datetime | None:
    for value in tree.xpath(
        '//meta[@property="article:published_time" or @name="article:published_time"'
        ' or @itemprop="datePublished" or @name="pubdate"]/@content | //time/@datetime'
    ):
        parsed = parse_published(value.strip())
        if parsed is not None:
            return parsed
    return None


# The lead picture, as the page names it for link previews; the first usable one wins.
_IMAGE_META = (
    '//meta[@property="og:image:secure_url" or @property="og:image" or @property="og:image:url"'
    ' or @name="og:image" or @name="twitter:image" or @name="twitter:image:src"'
    ' or @property="twitter:image"]/@content'
)


def _image(tree: Any, page_url: str) -> str | None:
    """The page's lead picture, absolute, when it is an http(s) URL (whether its address may be used
    is the fetcher's call: bot/intake/polling.py checks it like a link)."""
    for value in tree.xpath(_IMAGE_META):
        found = image_url(urljoin(page_url, value.strip())) if value.strip() else None
        if found is not None:
            return found
    return None


def _words(text: str) -> int:
    return len(text.split())


def _related(tree: Any, page_url: str, canonical: str) -> tuple[dict[str, str], ...]:
    """Links in blocks the page marks as related stories: by class/id, or by an Arabic heading."""
    blocks = [
        el
        for el in tree.xpath("//*[@class or @id]")
        if _RELATED_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}")
    ]
    for heading in tree.xpath("//h2|//h3|//h4|//h5|//strong"):
        if _RELATED_HEADING.search(heading.text_content() or "") and heading.getparent() is not None:
            blocks.append(heading.getparent())
    found: dict[str, dict[str, str]] = {}
    for block in blocks:
        for anchor in block.xpath(".//a[@href]"):
            title = " ".join(anchor.text_content().split())
            url = normalize_url(urljoin(page_url, anchor.get("href", "")))
            if (
                _words(title) >= MIN_RELATED_WORDS
                and url.startswith(("http://", "https://"))
                and url != canonical
                and url not in found
            ):
                found[url] = {"title": title, "url": url}
            if len(found) >= MAX_RELATED:
                return tuple(found.values())
    return tuple(found.values())


def extract_page(html: str, url: str) -> PageContent:
    """Read one HTML page; `text` is "" when there is no article body worth keeping."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return PageContent(url=normalize_url(url), title=None, text="", published=None)
    canonical = _canonical(tree, url)
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    text = ""
    title = sitename = None
    published = _published(tree)
    if doc is not None:
        text = "\n".join(line.strip() for line in (doc.text or "").splitlines() if line.strip())
        title = (doc.title or "").strip() or None
        sitename = (doc.sitename or "").strip() or None
        if published is None and doc.date:
            published = parse_published(doc.date)
    text = _drop_title_lines(text, title, *tree.xpath('//meta[@property="og:title"]/@content'))
    if not is_article_text(text):
        text = ""
    return PageContent(
        url=canonical,
        title=title,
        text=text,
        published=published,
        sitename=sitename,
        related=_related(tree, url, canonical),
        image=_image(tree, url),
    )


def is_article_text(text: str) -> bool:
    """Long enough to be a story, or a brief: two or more sentences that end like sentences and
    hold a few words each (a "read more" stub or a cookie line does not)."""
    if len(text) >= MIN_ARTICLE_CHARS:
        return True
    full = [
        s
        for s in split_sentences(text)
        if s.rstrip("\"'”’»)]")[-1:] in (".", "!", "?", "؟", "…") and len(s.split()) >= MIN_BRIEF_SENTENCE_WORDS
    ]
    return len(full) >= MIN_BRIEF_SENTENCES


def _drop_title_lines(text: str, *titles: str | None) -> str:
    """Drop the headline where the extractor kept it as the first line: the title is stored apart,
    and as a body "sentence" it would change the content hash between layouts of one story."""
    known = {" ".join(t.split()) for t in titles if t}
    lines = text.split("\n")
    while lines and " ".join(lines[0].split()) in known:
        lines.pop(0)
    return "\n".join(lines)


def html_to_text(fragment: str) -> str:
    """Feed summaries are HTML fragments; keep their paragraphs as lines."""
    text = _TAG.sub(" ", _BLOCK_BREAK.sub("\n", fragment or ""))
    lines = (" ".join(line.split()) for line in html_lib.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def build_page_article(
    page: PageContent | None,
    *,
    link: str,
    source: str | None,
    entry_title: str | None = None,
    entry_summary: str | None = None,
    entry_published: datetime | None = None,
    entry_image: str | None = None,
) -> Article:
    """The Article for a feed entry or a page; the entry's summary stands in when the page has no body.
    Its picture is the page's own, else the one the feed gave the entry."""
    text = _drop_title_lines(page.text, entry_title) if page is not None else ""
    url = page.url if page is not None else normalize_url(link)
    if not text:
        summary = html_to_text(entry_summary or "")
        if len(summary) < MIN_ARTICLE_CHARS // 2:
            raise NoArticleError("no article text on the page and no summary in the feed")
        log.info("no article body at %s; using the feed's summary", link)
        text = summary
    title = (entry_title or "").strip() or (page.title if page is not None else None)
    published = entry_published or (page.published if page is not None else None)
    meta: dict[str, Any] = {
        "title": title,
        "url": url,
        "source": source or (page.sitename if page is not None else None),
        "published": published.isoformat() if published else None,
        "related": list(page.related) if page is not None else [],
        "image": (page.image if page is not None else None) or entry_image,
    }
    article = build_article(article_id_for(url), text, meta)
    if not article.sentences:
        raise NoArticleError("the article text has no sentences")
    return article
