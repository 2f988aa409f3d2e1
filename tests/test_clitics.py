"""Clitics of users' questions, follow-ups and dialect above all: a question word with the conjunction
of a follow-up (ومين، فمتى، ووين، وبكم), and a plural verb with its object pronoun (اشتروه، قتلوه)."""

from __future__ import annotations

import pytest

from retrieval.analysis.analyzer import analyze
from retrieval.analysis.normalize import normalize
from retrieval.analysis.stopwords import bare_question_word, is_stopword
from retrieval.answering.answer_type import AnswerType, answer_type


@pytest.mark.parametrize(
    ("word", "bare"),
    [("ومين", "مين"), ("فمين", "مين"), ("ووين", "وين"), ("ومتى", "متي"), ("فمتى", "متي"), ("وامتى", "امتي"),
     ("وكم", "كم"), ("فكم", "كم"), ("وبكم", "بكم"), ("وأين", "اين"), ("ومنين", "منين"), ("وقديش", "قديش")],
)
def test_a_question_word_with_a_proclitic_is_a_stopword(word: str, bare: str) -> None:
    assert bare_question_word(normalize(word)) == bare
    assert analyze(f"{word} فاز الهلال") == ["فاز", "هلال"]  # no junk term (وم, ومت, فم) in the query


@pytest.mark.parametrize("word", ["فتحت", "فعلي", "فرح", "ودي", "وزير", "ويندوز", "وطن", "ولاية", "وزارة", "فيلم"])
def test_only_question_words_lose_a_proclitic(word: str) -> None:
    # و/ف + a function word is often a real word (ف+تحت, ف+علي, ف+رح, و+دي): it stays a term.
    assert not is_stopword(normalize(word))
    assert analyze(word)


@pytest.mark.parametrize(
    ("question", "kind"),
    [("ومين فاز بالمباراة؟", AnswerType.WHO), ("فمين الفائز؟", AnswerType.WHO), ("ومنو رئيسها؟", AnswerType.WHO),
     ("ومتى افتتح؟", AnswerType.WHEN), ("فمتى يبدأ؟", AnswerType.WHEN), ("وامتى الافتتاح؟", AnswerType.WHEN),
     ("ووين صار الحادث؟", AnswerType.WHERE), ("فوين الاجتماع؟", AnswerType.WHERE), ("وأين وقع؟", AnswerType.WHERE),
     ("وكم عدد الضحايا؟", AnswerType.HOW_MANY), ("فكم سعرها؟", AnswerType.HOW_MANY),
     ("بكم بيعت اللوحة؟", AnswerType.HOW_MANY), ("وبكم اشتروه؟", AnswerType.HOW_MANY),
     ("بكام الشقة؟", AnswerType.HOW_MANY), ("وقديش طولها؟", AnswerType.HOW_MANY)],
)
def test_answer_type_reads_a_question_word_through_its_proclitic(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


@pytest.mark.parametrize(
    ("with_pronoun", "as_the_news_writes"),
    [("اشتروه", "اشتروا"), ("اشتروه", "اشترى"), ("قتلوه", "قتلوا"), ("شافوها", "شافوا"),
     ("اعتقلوهم", "اعتقلوا"), ("ضربوهما", "ضربوا"), ("اعطوكم", "اعطى"), ("وقتلوه", "قتل"),
     ("مواطنوها", "مواطن")],
)
def test_a_plural_verb_with_its_object_pronoun_meets_its_plain_forms(with_pronoun: str, as_the_news_writes: str) -> None:
    assert analyze(with_pronoun) == analyze(as_the_news_writes)


@pytest.mark.parametrize(
    ("word", "term"),
    [("ندوة", "ندو"), ("قوة", "قو"), ("علاوة", "علاو"), ("تلاوة", "تلاو"), ("مكروه", "مكرو"), ("مشبوه", "مشبو"),
     ("وخطوة", "خطو"), ("الإخوة", "اخو")],
)
def test_nouns_ending_like_a_verb_with_a_pronoun_keep_their_waw(word: str, term: str) -> None:
    assert analyze(word) == [term]
