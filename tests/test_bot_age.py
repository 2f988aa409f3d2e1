"""NEWSBOT_MAX_AGE_DAYS in a running bot, /latest and `newsbot ask`: real SQLite, dated articles."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.core.service import NewsService
from bot.settings import Settings, load_settings
from bot.storage import Storage
from retrieval.text.article import Article

NOW = datetime.now(timezone.utc)

PARK = "ما الحديقة التي افتتحتها بلدية الزرقاء؟"
COACH = "من المدرب الذي تعاقد معه نادي الفيصلي؟"
CARAVAN = "إلى أين وصلت قافلة الإغاثة الطبية؟"


def article(id: str, title: str, sentence: str, days_old: float | None) -> Article:
    return Article(
        id=id,
        title=title,
        sentences=(sentence,),
        source="صحيفة الاختبار",
        url=f"https://news.example/{id}",
        published=NOW - timedelta(days=days_old) if days_old is not None else None,
    )


PARK_ARTICLE = article("park", "افتتاح حديقة", "افتتحت بلدية الزرقاء حديقة النخيل الكبرى يوم الخميس.", 29)
COACH_ARTICLE = article("coach", "مدرب جديد", "أعلن نادي الفيصلي تعاقده مع المدرب سامر الخطيب لموسمين.", 2)
OLD_ARTICLE = article("old", "قافلة إغاثة", "وصلت قافلة الإغاثة الطبية إلى مدينة المفرق صباح الأحد.", 400)
UNDATED_ARTICLE = article("undated", "خبر بلا تاريخ", "سجلت محطة الرصد في العقبة أعلى درجة حرارة هذا العام.", None)


def settings_for(tmp_path: Path, max_age_days: float | None) -> Settings:
    return load_settings(
        database=tmp_path / "newsbot.sqlite3",
        seeds_dir=tmp_path / "no-seeds",
        telegram_token=None,
        max_age_days=max_age_days,
    )


async def store(settings: Settings, *articles: Article) -> None:
    async with await Storage.open(settings.database) as storage:
        for a in articles:
            assert await storage.add_article(a) is not None


def indexed(service: NewsService) -> set[str]:
    return {a.id for a in service.index.articles}


async def answered_from(service: NewsService, question: str) -> set[str]:
    asked = await service.ask(1, question)
    assert asked.reply is not None
    return {a.article.id for a in asked.reply.answers}


async def test_running_bot_drops_articles_as_they_age_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_age_days=30)
    await store(settings, PARK_ARTICLE, COACH_ARTICLE, OLD_ARTICLE, UNDATED_ARTICLE)
    service = await NewsService.start(settings)
    try:
        assert indexed(service) == {"park", "coach", "undated"}  # 400 days old: never indexed
        assert await answered_from(service, PARK) == {"park"}
        assert await answered_from(service, CARAVAN) == set()
        assert [a.id for a in (await service.latest(1)).articles] == ["coach", "park", "undated"]

        # Two days on, the 29-day-old article is past 30 days: the next refresh drops it.
        later = NOW + timedelta(days=2)
        assert await service.refresh(now=later) == []
        assert indexed(service) == {"coach", "undated"}
        assert await answered_from(service, PARK) == set()
        assert await answered_from(service, COACH) == {"coach"}
        rebuilt = service.index
        assert await service.refresh(now=later) == []
        assert service.index is rebuilt  # nothing more aged out: no second rebuild

        # Ingested while running: a young article is added, an old one is not.
        fresh = article("fresh", "خبر اليوم", "أطلقت وزارة النقل خطًا جديدًا للحافلات الكهربائية.", 0)
        stale = article("stale", "خبر قديم", "افتتح متحف الفنون الشعبية جناحًا للخزف القديم.", 90)
        await store(settings, fresh, stale)
        assert [a.id for _, a in await service.refresh(now=later)] == ["fresh"]
        assert indexed(service) == {"coach", "undated", "fresh"}

        # An undated article ages from when it was ingested; both age out together, a year on.
        async with await Storage.open(settings.database) as storage:
            assert [a.id for a in await storage.latest(10, 30, now=later)] == ["fresh", "coach", "undated"]
        await service.refresh(now=NOW + timedelta(days=365))
        assert indexed(service) == set()
        assert (await service.ask(1, COACH)).reply.answered is False  # type: ignore[union-attr]
    finally:
        await service.close()


async def test_without_max_age_nothing_ages_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_age_days=None)
    await store(settings, PARK_ARTICLE, OLD_ARTICLE)
    service = await NewsService.start(settings)
    try:
        await service.refresh(now=NOW + timedelta(days=3650))
        assert indexed(service) == {"park", "old"}
        assert [a.id for a in (await service.latest(1)).articles] == ["park", "old"]
    finally:
        await service.close()


def ask(tmp_path: Path, settings: Settings, question: str, max_age: str) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "NEWSBOT_DATABASE": str(settings.database),
        "NEWSBOT_SEEDS_DIR": str(settings.seeds_dir),
        "NEWSBOT_MAX_AGE_DAYS": max_age,
    }
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", question], capture_output=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return proc.stdout.decode("utf-8")


async def test_newsbot_ask_respects_max_age(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_age_days=30)
    seeds = tmp_path / "no-seeds"
    seeds.mkdir()
    # A seed file with an old date is left out too, not only stored articles.
    (seeds / "old_seed.txt").write_text(OLD_ARTICLE.sentences[0] + "\n", "utf-8")
    (seeds / "old_seed.json").write_text('{"title": "قافلة إغاثة", "published": "2001-01-01"}', "utf-8")
    await store(settings, PARK_ARTICLE)
    assert '"article": "park"' in ask(tmp_path, settings, PARK, "30")
    assert '"answered": false' in ask(tmp_path, settings, PARK, "10")
    assert '"answered": false' in ask(tmp_path, settings, CARAVAN, "30")
    assert '"article": "old_seed"' in ask(tmp_path, settings, CARAVAN, "")

