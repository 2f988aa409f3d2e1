"""Reading articles from a seeds folder: `NAME.txt` plus an optional `NAME.json` sidecar.

The sidecar may give `title`, `url`, `source`, `published` (ISO 8601) and `related`
(a list of {"title", "url"}); links there come first, headlines found in the text follow.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from retrieval.text.article import Article, RelatedLink, parse_text

MAX_TITLE_CHARS = 120


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
        RelatedLink(title=str(item["title"]).strip(), url=item.get("url") or None)
        for item in meta.get("related") or []
        if isinstance(item, dict) and str(item.get("title") or "").strip()
    ]
    seen = {link.title for link in links}
    links += [RelatedLink(title=h) for h in parsed.headlines if h not in seen]
    title = str(meta.get("title") or "").strip() or _title_from(parsed.sentences, article_id)
    return Article(
        id=article_id,
        title=title,
        sentences=parsed.sentences,
        related=tuple(links),
        source=(str(meta["source"]).strip() or None) if meta.get("source") else None,
        url=meta.get("url") or None,
        published=parse_published(meta.get("published")),
    )


def _title_from(sentences: tuple[str, ...], fallback: str) -> str:
    if not sentences:
        return fallback
    first = sentences[0]
    return first if len(first) <= MAX_TITLE_CHARS else first[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def load_article_file(path: Path) -> Article:
    """Read one `.txt` article and its sidecar. Raises OSError/ValueError on unreadable input."""
    text = path.read_text(encoding="utf-8-sig")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    if not isinstance(meta, dict):
        raise ValueError(f"{sidecar}: the sidecar must hold a JSON object")
    return build_article(path.stem, text, meta)


def article_files(path: Path | str) -> list[Path]:
    """The article files at `path`: the file itself, or every `.txt` below a folder, in name order."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*.txt") if p.is_file())
    return [path]


def load_folder(folder: Path | str) -> list[Article]:
    return [load_article_file(p) for p in article_files(folder)]
