"""Ingesting article files and folders (seeds format) and URLs into storage, reporting every failure."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from retrieval import article_files, display_name

from bot.intake.bulk import ingest_files
from bot.intake.summary import IngestSummary
from bot.settings import Settings
from bot.storage import Storage

# Below this many files a progress bar is only noise.
PROGRESS_MIN_ITEMS = 20


def is_url(item: str) -> bool:
    return item.startswith(("http://", "https://"))


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
    """Ingest files, folders and URLs (files first, in bulk); failures are collected, never raised."""
    summary = IngestSummary()
    urls: list[str] = []
    files: list[tuple[Path, Path | None]] = []  # each file with the folder it came from
    for item in items:
        if is_url(item):
            urls.append(item)
            continue
        path = Path(item)
        if not path.exists():
            summary.failed.append((display_name(item), "no such file or folder"))
            continue
        found = article_files(path)
        if path.is_dir() and not found:
            summary.failed.append((display_name(item), "no .txt article files in this folder"))
        root = path if path.is_dir() else None
        files += [(p, root) for p in found]
    summary.merge(await ingest_files(storage, files, settings.database, progress=progress, encoder=settings.encoder,
                                     sentence_days=settings.sentence_vector_days))
    show = progress and len(urls) >= PROGRESS_MIN_ITEMS and sys.stderr.isatty()
    for url in tqdm(urls, desc="ingest", unit="url", file=sys.stderr, disable=not show):
        summary.merge(await ingest_url(storage, url, settings))
    return summary


async def load_seeds(storage: Storage, settings: Settings) -> IngestSummary:
    """Put the seed articles in the database; already stored ones are skipped as duplicates."""
    if not settings.seeds_dir.exists():
        return IngestSummary()
    return await ingest_items(storage, [str(settings.seeds_dir)], settings)
