"""The conversation's text rules (retrieval/conversation): small talk by a closed list, follow-ups told
from complete questions, a question packed into callback data. Pure: no index, no bot."""

from __future__ import annotations

import json

import pytest

from retrieval import analyze, pack, read_question, small_talk
from retrieval.answering.answer_type import answer_type
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize("text, kind", [
    ("السلام عليكم", "salam"), ("السَّلامُ عليكُم ورحمة الله", "salam"), ("مرحبا", "greeting"), ("أهلاً", "greeting"),
    ("هلااااا", "greeting"), ("صباح الخير", "morning"), ("مسا الخير", "evening"), ("شكراً جزيلاً يا بوت!", "thanks"),
    ("مشكورة", "thanks"), ("يعطيك العافيه", "blessing"), ("تسلم", "blessing"), ("باي", "bye"), ("مع السلامة", "bye"),
    ("من أنت؟", "who_are_you"), ("شو بتعمل", "what_can_you_do"), ("شلونك", "how_are_you"), ("thanks", "thanks"),
])
def test_small_talk_alone(text: str, kind: str) -> None:
    found = small_talk(text)
    assert found is not None and found.only and found.kinds[0].value == kind


@pytest.mark.parametrize("text, rest", [
    ("السلام عليكم، كم طول قناة السويس الجديدة؟", "كم طول قناة السويس الجديدة؟"),
    ("مرحبا من هو وزير الدفاع التركي؟", "من هو وزير الدفاع التركي؟"),
    ("كم طولها؟ شكرا", "كم طولها"),
])
def test_small_talk_glued_to_a_question_leaves_the_question(text: str, rest: str) -> None:
    found = small_talk(text)
    assert found is not None and not found.only and found.rest == rest


@pytest.mark.parametrize("text", [
    "السلام في اليمن", "ما أخبار ويندوز 10؟", "حدثني عن الأهلي", "من هو", "طيب ومتى؟", "شكر الوزير الحضور",
])
def test_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


@pytest.mark.parametrize("text", [
    "كم طولها؟", "مين هو؟", "في أي مطار؟", "بكم اشتروه؟", "ومتى؟", "وماذا عن أرمينيا؟", "كم عمره؟",
    "ومن كان الطيار؟", "كم سيارة احترقت؟", "طيب والسعودية؟", "على كم جهاز ثبتوه في أول يوم؟",
])
def test_follow_ups_lack_their_own_topic(text: str) -> None:
    assert read_question(text).follows


@pytest.mark.parametrize("text", [
    "من هو أردوغان؟", "كم سعر النفط؟", "ما عاصمة البرازيل؟", "من هو وزير الدفاع التركي الذي ترأس الوفد؟",
    "وين اجتمعوا الوفدين؟", "حدثني عن سفينة الإغاثة", "ماذا قالت التقارير عن قناة السويس الجديدة؟",
])
def test_complete_questions_start_a_topic(text: str) -> None:
    reading = read_question(text)
    assert not reading.follows and reading.topic


def test_every_seed_question_is_complete() -> None:
    for line in (PROJECT_ROOT / "tests" / "seed_questions.jsonl").read_text("utf-8").splitlines():
        question = json.loads(line)["question"]
        assert not read_question(question).follows, question
        assert small_talk(question) is None, question


def test_topic_and_what_a_follow_up_adds() -> None:
    assert read_question("ماذا قالت التقارير عن قناة السويس الجديدة؟").topic == "قناة السويس الجديدة"
    assert read_question("شو قصة الخلية المرتبطة بداعش؟").topic == "الخلية المرتبطة بداعش"
    shift = read_question("وماذا عن أرمينيا؟")
    assert shift.shift and shift.must == "أرمينيا" and shift.question == "ماذا عن أرمينيا؟"
    assert read_question("ومن كان الطيار؟").must == "الطيار"
    assert read_question("كم سيارة احترقت؟").must == ""  # a verb may be paraphrased: not required


def test_packed_question_fits_and_reads_the_same() -> None:
    from retrieval import unpack

    for question in ["ما اسم المهندس السعودي الذي حدد موقع الطائرة الماليزية المفقودة مبكراً؟",
                     "كم طول قناة السويس الجديدة؟ iPhone 10", "مَنْ هُوَ وزيرُ الدفاعِ؟"]:
        code = pack(question, 56)
        assert len(code.encode()) <= 56 and code.isascii()
        back = unpack(code)
        assert set(analyze(back)) <= set(analyze(question)) and analyze(back)
        assert answer_type(back) == answer_type(question)
    short = "كم طول قناة السويس الجديدة؟"
    assert analyze(unpack(pack(short, 56))) == analyze(short)


def test_a_follow_up_is_looked_up_without_adverbs_and_glued_prepositions() -> None:
    assert read_question("وين بالضبط؟").question == "وين؟"
    assert read_question("بكم اشتروه؟").question == "كم اشتروه؟"
    assert read_question("ولكم سنة؟").follows


def test_one_word_of_its_own_may_be_the_story_just_told() -> None:
    reading = read_question("كم عمر الطيار؟")
    assert not reading.follows and reading.maybe and reading.must == "الطيار"
    assert not read_question("ما عاصمة البرازيل؟").maybe  # two words of its own: a question alone
