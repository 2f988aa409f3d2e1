"""Loading the corpus for commands that need no database (ask, eval)."""

from __future__ import annotations

from retrieval.answer import NewsIndex
from retrieval.files import load_folder

from bot.settings import Settings


def load_index(settings: Settings) -> NewsIndex:
    return NewsIndex(load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else [])
