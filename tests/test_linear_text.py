"""Every text step is linear in its input, on the hostile inputs a feed page or a user can send.

Found by probing each step with long runs of one character, mixed diacritics, dots and brackets;
each case below was quadratic before its fix (NFKC over 100,000 mixed marks took 24 s).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from scaling import assert_linear

from bot.intake.extract import html_to_text
from bot.telegram.render import plain_pieces, split_blocks
from retrieval.analysis.analyzer import analyze, term_spans
from retrieval.analysis.normalize import MAX_MARK_RUN, normalize
from retrieval.analysis.tokenize import tokenize
from retrieval.text.article import parse_text
from retrieval.text.sentences import split_sentences

SHADDA, FATHA, KASRA = "\u0651", "\u064e", "\u0650"


def _mixed_marks(n: int) -> str:
    # Marks of different canonical classes, out of order: NFKC sorts the run by insertion.
    return "ب" + (SHADDA + FATHA) * (n // 2) + " كلمة"


CASES: dict[str, tuple[Callable[[str], object], Callable[[int], str], int]] = {
    "normalize: mixed diacritics on one letter": (normalize, _mixed_marks, 5_000),
    "normalize: Latin combining marks": (normalize, lambda n: "a" + "\u0316\u0301" * (n // 2), 5_000),
    # Not marks themselves, but each decomposes into marks (two for U+0F73): 16k took 0.8 s, 100k 31 s.
    "normalize: U+0F73, which NFKC splits in two": (normalize, lambda n: "\u0f73" * n, 2_000),
    "normalize: halfwidth voiced marks between acutes": (normalize, lambda n: "ｶ" + "\uff9e\u0301" * (n // 2), 2_000),
    "analyze: U+0F73 in a word": (analyze, lambda n: "خبر" + "\u0f73" * n + " كلمة", 2_000),
    "parse_text: U+0F73 between sentences": (parse_text, lambda n: "خبر أول.\n" + "\u0f73" * n + "\nخبر ثان.", 2_000),
    "analyze: mixed diacritics": (analyze, _mixed_marks, 5_000),
    "term_spans: mixed diacritics": (lambda t: term_spans(t, frozenset({"كلم"})), _mixed_marks, 5_000),
    "split_sentences: dots before a letter": (split_sentences, lambda n: "خبر" + "." * n + "x", 1_000),
    "split_sentences: end marks not followed by a space": (split_sentences, lambda n: "؟!" * (n // 2) + "x", 1_000),
    "parse_text: a line of dots": (parse_text, lambda n: "خبر " + "." * n + "x", 2_000),
    "parse_text: an ellipsis then spaces": (parse_text, lambda n: "خبر …" + " " * n + "x", 2_000),
    "parse_text: teasers between chrome lines": (
        parse_text,
        lambda n: "قصة طويلة عن الاقتصاد.\n" + "خبر آخر…\nجميع الحقوق محفوظة\n" * (n // 32),
        4_000,
    ),
    "tokenize: one long word": (tokenize, lambda n: "ب" * n, 50_000),
    "html_to_text: stray < with no >": (html_to_text, lambda n: "<p>خبر</p>" + "<" * n, 2_000),
    "plain_pieces: a long message": (lambda t: plain_pieces(t, limit=10), lambda n: "كلمة " * (n // 5), 20_000),
    "split_blocks: one long word": (lambda t: split_blocks([t], limit=60), lambda n: "ب" * n, 20_000),
    "split_blocks: many words": (lambda t: split_blocks([t], limit=60), lambda n: "كلمة " * (n // 5), 20_000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_text_step_is_linear_on_hostile_input(case: str) -> None:
    step, make, n = CASES[case]
    assert_linear(step, make, n)


def test_a_long_run_of_diacritics_normalizes_like_a_short_one() -> None:
    # 200,000 marks finish (in milliseconds) and are stripped as two would be.
    assert normalize("ب" + (SHADDA + FATHA) * 100_000 + "ت") == normalize("ب" + SHADDA + FATHA + "ت") == "بت"
    assert analyze("مُ" + (SHADDA + KASRA) * 50_000 + "درسة") == analyze("مدرسة")


def test_a_run_of_other_marks_is_cut_to_the_stream_safe_bound() -> None:
    # Marks the fold keeps (Latin grave below, acute) on a letter they do not compose with.
    folded = normalize("ب" + "\u0316\u0301" * 50_000 + "ت")
    assert folded == "ب" + "\u0316" * (MAX_MARK_RUN // 2) + "\u0301" * (MAX_MARK_RUN // 2) + "ت"  # NFKC sorts them


def test_runs_are_counted_after_decomposition() -> None:
    # U+0F73 is no mark, but decomposes into two: a run of them is cut at the bound like the marks it
    # is made of, and a short run (real Tibetan) is left whole.
    assert normalize("\u0f73" * 100_000) == normalize("\u0f73" * (MAX_MARK_RUN // 2)) == "\u0f71" * 15 + "\u0f72" * 15
    assert normalize("ཀ" + "\u0f73" * 3 + "ཀ") == unicodedata.normalize("NFKC", "ཀ" + "\u0f73" * 3 + "ཀ")
    assert normalize("ｶ" + "\uff9e" * 50_000) == "ガ" + "\u3099" * (MAX_MARK_RUN - 1)  # one composed into ガ


def test_ordinary_text_with_marks_is_left_to_nfkc() -> None:
    # Short runs are not touched: the composed hamza forms and presentation forms come out as before.
    assert normalize("و\u0654") == "ؤ"
    assert normalize("ي\u0654" + FATHA) == "ئ"
    assert normalize("ﻻ ﷲ") == "لا الله"
    assert normalize("ﱞ") == " "  # a shadda ligature: its marks are stripped after NFKC
