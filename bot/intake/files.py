"""Ingesting article files and folders (seeds format) and URLs into storage, reporting every failure."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from retrieval import article_files, display_name, load_article_file

from bot.intake.summary import IngestSummary
from bot.settings import Settings
from bot.storage import Storage

# Below this many files a progress bar is only noise.
PROGRESS_MIN_ITEMS = 20


def is_url(item: str) -> bool:
    return item.startswith(("http://", "https://"))


async def ingest_file(storage: Storage, path: Path, root: Path | None = None) -> IngestSummary:
    """Store one article file; its id is its path below `root`, the folder being ingested."""
    summary = IngestSummary()
    try:
        article = load_article_file(path, root)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSON errors are ValueErrors
        summary.failed.append((display_name(path), f"{type(exc).__name__}: {exc}"))
        return summary
    if not article.sentences:
        summary.failed.append((display_name(path), "no body sentences found"))
        return summary
    if await storage.add_article(article) is None:
        summary.duplicates += 1
    else:
        summary.added += 1
    return summary


async def ingest_url(storage: Storage, url: str, settings: Settings) -> IngestSummary:
    # Lazy: feed parsing and page extraction load slowly, and file-only ingests (the seeds) never need them.
    from bot.intake.polling import ingest_url as ingest_feed_or_page

    try:
        return await ingest_feed_or_page(storage, url, settings)
    except Exception as exc:  # one bad URL must not stop the rest of the command
        return IngestSummary(failed=[(url, f"{type(exc).__name__}: {exc}")])


async def ingest_items(
    storage: Storage, items: Iterable[str], settings: Settings, *, progress: bool = False
) -> IngestSummary:
    """Ingest files, folders and URLs; failures are collected, never raised."""
    summary = IngestSummary()
    work: list[tuple[str, Path | None, Path | None]] = []  # (URL or name, file, the folder it came from)
    for item in items:
        if is_url(item):
            work.append((item, None, None))
            continue
        path = Path(item)
        if not path.exists():
            summary.failed.append((display_name(item), "no such file or folder"))
            continue
        files = article_files(path)
        if path.is_dir() and not files:
            summary.failed.append((display_name(item), "no .txt article files in this folder"))
        root = path if path.is_dir() else None
        work += [(display_name(p), p, root) for p in files]
    show = progress and len(work) >= PROGRESS_MIN_ITEMS and sys.stderr.isatty()
    for item, path, root in tqdm(work, desc="ingest", unit="item", file=sys.stderr, disable=not show):
        if path is None:
            summary.merge(await ingest_url(storage, item, settings))
        else:
            summary.merge(await ingest_file(storage, path, root))
    return summary


async def load_seeds(storage: Storage, settings: Settings) -> IngestSummary:
    """Put the seed articles in the database; already stored ones are skipped as duplicates."""
    if not settings.seeds_dir.exists():
        return IngestSummary()
    return await ingest_items(storage, [str(settings.seeds_dir)], settings)
