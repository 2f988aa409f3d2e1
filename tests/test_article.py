"""The article parser: body sentences verbatim, related headlines, chrome dropped; conservative otherwise."""

from __future__ import annotations

from pathlib import Path

from retrieval.text.article import is_chrome, parse_text, related_marker
from retrieval.text.files import build_article, load_article_file, load_folder
from retrieval.text.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "000_09970cd0ffa0422f.txt"


def test_seed_body_sentences_are_verbatim_and_complete() -> None:
    text = SEED.read_text("utf-8")
    parsed = parse_text(text)
    assert len(parsed.sentences) == 13
    for sentence in parsed.sentences:
        assert sentence in text  # verbatim: tatweel, diacritics and quotes untouched
    assert parsed.sentences[0].startswith("ذكرت مصادر إعلامية")
    assert any("دبـابات" in s for s in parsed.sentences)
    assert parsed.sentences[-1].endswith("معارك عام 1993.")


def test_seed_related_block_and_teasers_become_headlines() -> None:
    parsed = parse_text(SEED.read_text("utf-8"))
    assert parsed.headlines[:2] == (
        "وزير الخارجية التركية: هذا هو الحل الوحيد لإنهاء الحرب بين أذربيجان وأرمينيا",
        "الاجتماع العسكري السادس بين اليونان و تركيا بخصوص شرق المتوسط",
    )
    teasers = parsed.headlines[2:]
    assert len(teasers) == 6 and all(t.endswith("…") for t in teasers)
    assert not any("تابع أيضا" in s or s.endswith("…") for s in parsed.sentences)


def test_seed_cookie_notice_is_dropped() -> None:
    parsed = parse_text(SEED.read_text("utf-8"))
    assert len(parsed.dropped) == 1 and "الكوكيز" in parsed.dropped[0]
    assert not any("الكوكيز" in s for s in (*parsed.sentences, *parsed.headlines))


def test_plain_article_comes_through_as_body_only() -> None:
    wiki = (
        "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها. تقع على ضفاف نهر النيل، "
        "ويبلغ عدد سكانها نحو 10 ملايين نسمة. تأسست المدينة عام 969 م على يد الفاطميين!\n"
        "وتعرف بمدينة الألف مئذنة؟ نعم، لكثرة مساجدها."
    )
    parsed = parse_text(wiki)
    assert parsed.headlines == () and parsed.dropped == ()
    assert parsed.sentences == (
        "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها.",
        "تقع على ضفاف نهر النيل، ويبلغ عدد سكانها نحو 10 ملايين نسمة.",
        "تأسست المدينة عام 969 م على يد الفاطميين!",
        "وتعرف بمدينة الألف مئذنة؟",
        "نعم، لكثرة مساجدها.",
    )


def test_a_single_line_ending_in_ellipsis_inside_a_story_is_prose() -> None:
    parsed = parse_text("بدأ الاجتماع صباحا.\nوقال المتحدث إن المحادثات مستمرة…\nوانتهى الاجتماع مساء.")
    assert parsed.headlines == ()
    assert len(parsed.sentences) == 3


def test_marker_variants_and_a_headline_on_the_marker_line() -> None:
    assert related_marker("تابع أيضا/") == ""
    assert related_marker("اقرأ أيضاً: ارتفاع أسعار النفط") == "ارتفاع أسعار النفط"
    assert related_marker("شاهد أيضا") == ""
    assert related_marker("تابع الجيش تقدمه نحو المدينة.") is None
    parsed = parse_text("قال الوزير كلاما.\nاقرأ أيضاً: ارتفاع أسعار النفط\nعنوان آخر هنا\nوأضاف الوزير أن المحادثات مستمرة.")
    assert parsed.headlines == ("ارتفاع أسعار النفط", "عنوان آخر هنا")
    assert parsed.sentences == ("قال الوزير كلاما.", "وأضاف الوزير أن المحادثات مستمرة.")


def test_chrome_detection_is_limited_to_short_lines() -> None:
    assert is_chrome("هذا الموقع يستعمل ملفات تعريف الارتباط (الكوكيز) لتحسين تجربة استخدامك.")
    assert is_chrome("جميع الحقوق محفوظة © 2024")
    long_story = "ناقش البرلمان الأوروبي قانونا جديدا ينظم ملفات تعريف الارتباط " + "ويحمي خصوصية المستخدمين " * 10
    assert not is_chrome(long_story)


def test_sentence_splitter_keeps_decimals_and_closing_quotes() -> None:
    assert split_sentences("بلغ النمو 3.5 في المئة. وقال “انتهى”. ثم…") == [
        "بلغ النمو 3.5 في المئة.",
        "وقال “انتهى”.",
        "ثم…",
    ]


def test_sidecar_gives_metadata(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("خبر أول. خبر ثان.", "utf-8")
    (tmp_path / "a.json").write_text(
        '{"title": "عنوان", "source": "وكالة", "url": "https://example.com/a", "published": "2026-11-01T10:00:00Z",'
        ' "related": [{"title": "رابط ذو صلة", "url": "https://example.com/b"}]}',
        "utf-8",
    )
    article = load_article_file(tmp_path / "a.txt")
    assert (article.id, article.title, article.source, article.url) == ("a", "عنوان", "وكالة", "https://example.com/a")
    assert article.published is not None and article.published.year == 2026
    assert article.related[0].url == "https://example.com/b"
    assert article.sentences == ("خبر أول.", "خبر ثان.")


def test_seed_sidecar_names_the_source_and_no_url() -> None:
    [article] = load_folder(SEEDS)
    assert article.source == "تركيا الآن" and article.url is None
    assert len(article.related) == 8


def test_title_falls_back_to_the_first_sentence() -> None:
    article = build_article("x", "جملة أولى قصيرة. وجملة ثانية.")
    assert article.title == "جملة أولى قصيرة."
