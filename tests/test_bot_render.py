"""Rendering: escaping, highlighting, citations, and splitting under Telegram's 4096 characters."""

from __future__ import annotations

from datetime import datetime

from bot.telegram import texts
from bot.testing.fake_telegram import check_html
from bot.telegram.render import MAX_MESSAGE, render_latest, render_push, render_reply, split_blocks, tg_length
from retrieval.answering.news_index import NewsIndex
from retrieval.text.article import Article, RelatedLink


def article(**kw: object) -> Article:
    base = dict(
        id="x", title="عنوان <script>alert(1)</script> & شركاه",
        sentences=("قال الوزير إن <b>الميناء</b> & المطار سيفتتحان في الربيع المقبل.",),
        related=(RelatedLink("افتتاح الميناء الجديد <i>", "javascript:alert(1)"), RelatedLink("افتتاح الميناء والمطار", "https://example.org/a?b=1&c=2")),
        source="وكالة <الأنباء>", url="https://example.org/x?a=1&b=2", published=datetime(2024, 3, 1),
    )
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def assert_telegram_ok(messages: list[str]) -> None:
    assert messages
    for m in messages:
        assert tg_length(m) <= MAX_MESSAGE
        assert check_html(m) is None, m[:300]


def test_article_text_is_escaped_and_links_are_safe() -> None:
    reply = NewsIndex([article()]).ask("متى يفتتح الميناء؟")
    assert reply.answered
    messages = render_reply(reply)
    assert_telegram_ok(messages)
    text = "\n".join(messages)
    assert "&lt;b&gt;" in text and "&lt;script&gt;" in text and "وكالة &lt;الأنباء&gt;" in text
    assert "<b>الميناء</b>" in text and "<b>المطار</b>" not in text
    assert "javascript" not in text
    assert 'href="https://example.org/x?a=1&amp;b=2"' in text
    assert "الجملة 1" in text


def test_related_links_are_escaped_and_safe() -> None:
    reply = NewsIndex([article()]).ask("افتتاح الميناء")
    assert reply.related
    messages = render_reply(reply)
    assert_telegram_ok(messages)
    text = "\n".join(messages)
    assert texts.RELATED_HEADING in text and "javascript" not in text and "&lt;i&gt;" in text
    assert 'href="https://example.org/a?b=1&amp;c=2"' in text


def test_no_answer_points_to_latest() -> None:
    messages = render_reply(NewsIndex([article()]).ask("ما عاصمة البرازيل؟"))
    assert_telegram_ok(messages)
    assert "/latest" in messages[0]


def test_long_answers_are_split_at_block_boundaries() -> None:
    sentences = tuple(f"أعلن الوزير رقم {i} أن الميناء {'الكبير ' * 120}سيفتتح قريبا." for i in range(12))
    reply = NewsIndex([article(sentences=sentences)]).ask("الوزير الميناء الكبير سيفتتح", top_k=10)
    messages = render_reply(reply)
    assert len(messages) > 1
    assert_telegram_ok(messages)
    assert all(m.count("<blockquote>") == m.count("</blockquote>") for m in messages)


def test_a_single_huge_line_is_cut_cleanly() -> None:
    huge = "<b>كلمة</b> & " * 1500 + "x" * 9000
    messages = split_blocks([huge, "خاتمة"])
    assert_telegram_ok(messages)
    assert messages[-1].endswith("خاتمة")


def test_latest_and_push() -> None:
    latest = render_latest([article(), article(id="y", url=None, published=None, source=None)])
    assert_telegram_ok(latest)
    assert "2024-03-01" in latest[0] and texts.UNKNOWN_SOURCE in latest[0]
    assert render_latest([]) == [texts.LATEST_EMPTY]
    assert_telegram_ok(render_push(article()))
