"""Shared fixtures: the bot harness over a real SQLite file in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import Harness
from bot.settings import PROJECT_ROOT, Settings, load_settings


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return load_settings(
        database=tmp_path / "state" / "newsbot.sqlite3",
        seeds_dir=PROJECT_ROOT / "seeds",
        telegram_token=None,
        refresh_seconds=60,
        max_age_days=None,
        top_k=3,
    )


@pytest.fixture
async def harness(bot_settings: Settings) -> AsyncIterator[Harness]:
    async with Harness(bot_settings) as h:
        yield h
