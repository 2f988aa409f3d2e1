"""A stream of small generated Arabic news articles, for tests and the console (never corpus text).

Each article is three sentences built from templates over cities, officials and subjects, with a title
and a sidecar (source, url, published), written as a seeds-style folder that `ingest_items` reads.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

CITIES = ["القاهرة", "الرياض", "بيروت", "عمّان", "تونس", "الرباط", "الدوحة", "مسقط", "بغداد", "الخرطوم",
          "جدة", "الكويت", "دمشق", "طرابلس", "نواكشوط", "المنامة"]
OFFICIALS = ["وزير الخارجية", "وزير الصحة", "محافظ البنك المركزي", "رئيس الوزراء", "وزير النقل",
             "وزيرة التعليم", "رئيس البرلمان", "وزير الطاقة"]
SUBJECTS = ["أسعار الوقود", "مشروع السكك الحديدية", "موسم الأمطار", "معرض الكتاب", "إصلاح المدارس",
            "افتتاح مستشفى جديد", "تصدير المعادن", "اتفاقية تجارية", "مهرجان السينما", "خطة مكافحة التصحر"]
SOURCES = ["وكالة الأنباء", "صحيفة اليوم", "قناة الأخبار", "موقع المرصد"]


@dataclass(frozen=True)
class Generated:
    name: str
    title: str
    sentences: tuple[str, ...]


def generate(
    count: int, *, seed: int = 11, special: dict[int, tuple[str, str]] | None = None, prefix: str = "art"
) -> list[Generated]:
    """`count` articles; `special[i]` = (title, sentence) puts that sentence second in article i."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        city, official, subject = rng.choice(CITIES), rng.choice(OFFICIALS), rng.choice(SUBJECTS)
        title = f"{official} يبحث {subject} في {city} ({prefix} {i + 1})"
        sentences = [
            f"بحث {official} في {city} اليوم ملف {subject} مع عدد من المسؤولين.",
            f"وقال مصدر مطلع إن الاجتماع الذي عقد في {city} تناول الجدول الزمني للمرحلة {i % 7 + 1}.",
            f"ومن المنتظر أن تعلن الحكومة تفاصيل {subject} خلال الأسبوع المقبل.",
        ]
        if special and i in special:
            title, sentence = special[i]
            sentences.insert(1, sentence)
        found.append(Generated(f"{prefix}{i:04d}", title, tuple(sentences)))
    return found


def write(folder: Path, articles: list[Generated], day: str = "2026-11-28") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, article in enumerate(articles):
        path = folder / f"{article.name}.txt"
        path.write_text("\n".join(article.sentences) + "\n", encoding="utf-8")
        meta = {"title": article.title, "source": SOURCES[n % len(SOURCES)],
                "url": f"https://news.example.org/{article.name}", "published": f"{day}T{8 + n % 12:02d}:00:00"}
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
