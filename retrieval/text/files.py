"""Reading articles from a seeds folder: `NAME.txt` plus an optional `NAME.json` sidecar.

The sidecar may give `title`, `url`, `source`, `published` (ISO 8601), `image` (the story's picture,
an http(s) URL) and `related` (a list of {"title", "url"}); links there come first, headlines found in
the text follow.

An article's id is its path below the folder it was found in, without `.txt` (`000_09970cd0ffa0422f`,
`a/news`); storage makes it unique when another text holds it (bot/storage/articles.py, free_id). Every read is bounded, and only regular files
are read: a FIFO or a device named `.txt` would otherwise hang the reader.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from retrieval.text.article import Article, RelatedLink, parse_text

MAX_TITLE_CHARS = 120  # a title made from the first sentence
# Titles, sources and related headlines given by a sidecar, a feed or a page: a real headline is far
# shorter, and each is shown in every /latest and push it is part of.
MAX_GIVEN_TITLE_CHARS = 200
MAX_SOURCE_CHARS = 100
# No article text comes near this; a larger file is not an article (a log, a dump, a disk image).
MAX_ARTICLE_FILE_BYTES = 5_000_000
MAX_SIDECAR_BYTES = 1_000_000
_SIDECAR_TEXT_FIELDS = ("title", "url", "source", "published", "image")
# Real article addresses stay far below this; a longer "URL" is a payload, not a link.
MAX_URL_CHARS = 2_000
# Whitespace and control characters: a browser strips them (so "java\tscript:" runs), a link never has them.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")


def parse_published(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def build_article(article_id: str, text: str, meta: dict[str, Any] | None = None) -> Article:
    """Parse raw text into an Article, with metadata from a sidecar-shaped dict."""
    meta = meta or {}
    parsed = parse_text(text)
    links = [
        RelatedLink(title=clip(str(item["title"]).strip(), MAX_GIVEN_TITLE_CHARS), url=web_url(item.get("url")))
        for item in meta.get("related") or []
        if isinstance(item, dict) and str(item.get("title") or "").strip()
    ]
    seen = {link.title for link in links}
    links += [RelatedLink(title=clip(h, MAX_GIVEN_TITLE_CHARS)) for h in parsed.headlines if h not in seen]
    given = str(meta.get("title") or "").strip()
    title = clip(given, MAX_GIVEN_TITLE_CHARS) if given else _title_from(parsed.sentences, article_id)
    source = str(meta.get("source") or "").strip()
    return Article(
        id=article_id,
        title=title,
        sentences=parsed.sentences,
        related=tuple(links),
        source=clip(source, MAX_SOURCE_CHARS) if source else None,
        url=web_url(meta.get("url")),
        published=parse_published(meta.get("published")),
        image=image_url(meta.get("image")),
    )


def web_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL with a host, else None: a link is shown in every push and
    /latest, and `javascript:`, `data:` or `file:` there would be a trap for whoever taps it."""
    url = str(value or "").strip()
    if not url or len(url) > MAX_URL_CHARS or _NOT_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def image_url(value: Any) -> str | None:
    """`value` as a picture's URL: the rule of links (Telegram takes a picture by URL over http(s) only)."""
    return web_url(value)


def clip(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…" when it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title_from(sentences: tuple[str, ...], fallback: str) -> str:
    return clip(sentences[0], MAX_TITLE_CHARS) if sentences else fallback


def display_name(path: Path | str) -> str:
    """A path as text that can be printed and stored: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; ValueError for anything else.

    Opened without blocking (a FIFO with no writer would block the open) and checked on the open file,
    so nothing can swap it between the check and the read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes} bytes")
    return data


def _sidecar(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        meta = json.loads(read_bounded(path, MAX_SIDECAR_BYTES).decode("utf-8"))
    except ValueError as exc:  # JSON and UTF-8 errors are ValueErrors
        raise ValueError(f"{path.name}: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path.name}: the sidecar must hold a JSON object")
    for key in _SIDECAR_TEXT_FIELDS:
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise ValueError(f"{path.name}: {key!r} must be a string, not {type(meta[key]).__name__}")
    related = meta.get("related")
    if related is not None and not (
        isinstance(related, list)
        and all(isinstance(r, dict) and all(v is None or isinstance(v, str) for v in r.values()) for r in related)
    ):
        raise ValueError(f"{path.name}: 'related' must be a list of {{\"title\", \"url\"}} objects")
    return meta


def article_id(path: Path, root: Path | None = None) -> str:
    """`path` below `root` without `.txt`, as text (the file's stem when it is not below a folder)."""
    relative = path.relative_to(root) if root is not None and root != path else Path(path.name)
    return display_name(relative.with_suffix("").as_posix())


def utf8(data: bytes) -> str:
    return data.decode("utf-8-sig")


def load_article_file(path: Path, root: Path | None = None, decode: Callable[[bytes], str] = utf8) -> Article:
    """Read one `.txt` article and its sidecar; its id is its path below `root` (see article_id).
    `decode` turns its bytes into text (`newsbot ingest` detects the charset: bot/intake/charset.py).
    Raises OSError/ValueError on unreadable input, and what `decode` raises."""
    text = decode(read_bounded(path, MAX_ARTICLE_FILE_BYTES))
    meta = _sidecar(path.with_suffix(".json"))
    return build_article(article_id(path, root), text, meta)


def article_files(path: Path | str) -> list[Path]:
    """The article files at `path`: the file itself, or every `.txt` below a folder, in name order
    (FIFOs and devices included: reading them is refused with a reason, not skipped in silence)."""
    path = Path(path)
    if path.is_dir():
        return sorted((p for p in path.rglob("*.txt") if not p.is_dir()), key=lambda p: os.fsencode(p))
    return [path]


def load_folder(folder: Path | str) -> list[Article]:
    root = Path(folder)
    return [load_article_file(p, root if root.is_dir() else None) for p in article_files(root)]
