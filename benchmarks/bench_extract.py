"""Article-body extraction on the Arabic fixture pages: word precision/recall/F1 per extractor.

Gold is the text of the <p> elements inside the page's `article-body` block. Each page is measured
as written and with extra noise injected (a comments block, a newsletter widget written in full
sentences, a "most read" teaser list), which is where extractors differ.
Run: .venv/bin/python benchmarks/bench_extract.py
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import justext
import lxml.html
import trafilatura

from bot.intake.extract import extract_page
from bot.intake.fetch import decode

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "feeds" / "news"
NOISE = """
<div class="comments"><h3>التعليقات</h3>
<div class="comment"><p>تعليق من القارئ أحمد: هذا خبر رائع ونتمنى أن تستمر مثل هذه المشاريع في جميع المناطق لأنها تخدم المواطنين وتوفر فرص العمل للشباب.</p></div>
<div class="comment"><p>تعليق من القارئة سارة: أتمنى أن توضح الجهات المسؤولة موعد انتهاء المرحلة الثانية وكلفتها الحقيقية على الميزانية العامة.</p></div></div>
<div class="newsletter"><p>اشترك الآن في نشرتنا اليومية لتصلك أهم الأخبار والتحليلات مباشرة إلى بريدك الإلكتروني كل صباح، مجانا ودون أي التزام.</p></div>
<ul class="teasers"><li><a href="/n/1">وزير المالية يعلن تفاصيل الميزانية الجديدة للعام المقبل…</a></li><li><a href="/n/2">ارتفاع أسعار النفط مع تراجع المخزونات الأمريكية…</a></li></ul>
"""


def gold_of(html: str) -> str:
    tree = lxml.html.fromstring(html)
    return "\n".join(p.text_content() for p in tree.xpath('//*[contains(@class,"article-body")]//p'))


def words(text: str) -> Counter[str]:
    return Counter(text.split())


def score(gold: str, got: str) -> tuple[float, float]:
    g, e = words(gold), words(got)
    overlap = sum((g & e).values())
    precision = overlap / max(sum(e.values()), 1)
    recall = overlap / max(sum(g.values()), 1)
    return precision, recall


def _traf(**options: object) -> Callable[[str, str], str]:
    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, include_comments=False, include_tables=False, **options) or ""

    return run


def _justext(**options: object) -> Callable[[str, str], str]:
    def run(html: str, url: str) -> str:
        stoplist = justext.get_stoplist("Arabic")
        paragraphs = justext.justext(html.encode("utf-8"), stoplist, encoding="utf-8", **options)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return run


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "trafilatura default": _traf(),
    "trafilatura favor_precision": _traf(favor_precision=True),
    "trafilatura favor_recall": _traf(favor_recall=True),
    "jusText (Arabic stoplist)": _justext(),
    # Defaults are tuned for English; Arabic news paragraphs are short and the stoplist is huge.
    "jusText tuned (100/0.55)": _justext(length_high=100, stopwords_high=0.55),
    "bot.extract (ours)": lambda html, url: extract_page(html, url).text,
}


def main() -> None:
    pages = []
    for path in sorted(PAGES.glob("*.html")):
        html = decode(path.read_bytes(), "text/html")
        gold = gold_of(html)
        if not gold:
            continue  # the no-article page has no gold
        pages.append((path.name, html, gold))
        pages.append((path.name + "+noise", html.replace("<footer>", NOISE + "<footer>"), gold))
    print(f"{len(pages)} pages ({len(pages) // 2} fixture pages, each also with injected noise)")
    print(f"{'extractor':<30}{'precision':>10}{'recall':>8}{'F1':>7}{'ms/page':>9}")
    for name, run in EXTRACTORS.items():
        ps, rs = [], []
        started = time.perf_counter()
        for _, html, gold in pages:
            p, r = score(gold, run(html, "http://example.com/news/x.html"))
            ps.append(p)
            rs.append(r)
        ms = (time.perf_counter() - started) * 1000 / len(pages)
        p, r = sum(ps) / len(ps), sum(rs) / len(rs)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{name:<30}{p:>10.3f}{r:>8.3f}{f1:>7.3f}{ms:>9.1f}")
    empty = decode((PAGES / "empty.html").read_bytes(), "text/html")
    print("no-article page (empty.html), characters returned:")
    for name, run in EXTRACTORS.items():
        print(f"  {name:<28}{len(run(empty, 'http://example.com/')):>5}")


if __name__ == "__main__":
    main()
