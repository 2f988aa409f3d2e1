"""Small Arabic news pages and an RSS feed over them, built in memory for the loopback feed server:
the picture tests name each page's lead image (og:image, twitter:image) or none."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.testing.news_stream import generate


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    body: bytes


def page_html(title: str, sentences: tuple[str, ...], *, image: str | None = None, meta: str = "og:image") -> bytes:
    head = f"<title>{html.escape(title)}</title>"
    if image is not None:
        attribute = "name" if meta.startswith("twitter") else "property"
        head += f'<meta {attribute}="{meta}" content="{html.escape(image)}">'
    paragraphs = "".join(f"<p>{html.escape(s)}</p>" for s in sentences)
    return (
        f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">{head}</head>'
        f"<body><article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode("utf-8")


def pages(images: list[str | None], *, prefix: str = "pic", seed: int = 7) -> list[Page]:
    """One page per entry of `images` (its og:image, or none), with generated Arabic text."""
    found = []
    for i, (article, image) in enumerate(zip(generate(len(images), seed=seed, prefix=prefix), images)):
        found.append(Page(f"/{prefix}/{i}.html", article.title, page_html(article.title, article.sentences, image=image)))
    return found


def rss(base: str, items: list[Page], *, title: str = "وكالة الصور", extra: dict[str, str] | None = None) -> bytes:
    """An RSS 2.0 feed linking to `items`; `extra[path]` is more XML inside that item (an enclosure…)."""
    entries = "".join(
        f"<item><title>{html.escape(p.title)}</title><link>{base}{p.path}</link><guid>{base}{p.path}</guid>"
        f"{(extra or {}).get(p.path, '')}</item>"
        for p in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>{html.escape(title)}</title><link>{base}/</link>{entries}</channel></rss>"
    ).encode("utf-8")
