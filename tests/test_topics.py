"""The topic percolator: analyzed topics matched against an article's sentences by coverage and BM25."""

from __future__ import annotations

from retrieval import TopicIndex, topic_terms, weights_from

ADEN = [
    "وصل وفد حكومي إلى مدينة عدن صباح اليوم.",
    "وقال المتحدث إن الزيارة تستمر ثلاثة أيام.",
]
KARABAKH = [
    "تجددت الاشتباكات في إقليم قره باغ بين أذربيجان وأرمينيا.",
    "ودعت روسيا الطرفين إلى وقف إطلاق النار.",
]
SPLIT = [  # both words of «قره باغ», but never in one sentence
    "زار الوفد قرية قره الجبلية.",
    "ثم انتقل إلى سوق باغ القديم.",
]


def test_topic_terms_go_through_the_analyzer_chain() -> None:
    assert topic_terms("عَدَن") == topic_terms("عدن") == topic_terms("ما آخر أخبار عدن؟")[-1:]
    assert topic_terms("ما هو؟") == ()  # stopwords only: nothing to follow


def test_match_quotes_the_sentence_and_spelling_variants_meet() -> None:
    index: TopicIndex[int] = TopicIndex()
    index.add(1, "عدن")
    index.add(2, "قرة باغ")  # ة/ه variant of the article's spelling
    assert [(m.topic, m.sentence) for m in index.match(ADEN)] == [(1, 0)]
    found = index.match(KARABAKH)
    assert [(m.topic, m.sentence) for m in found] == [(2, 0)]
    assert found[0].coverage == 1.0 and found[0].matched == frozenset(topic_terms("قره باغ"))


def test_topic_words_in_different_sentences_do_not_match() -> None:
    index: TopicIndex[int] = TopicIndex()
    index.add(1, "قره باغ")
    assert index.match(SPLIT) == []


def test_informative_words_weigh_more() -> None:
    # «الوضع» is everywhere in the news held, «عدن» is rare: the sentence naming Aden is enough.
    [common], [aden] = topic_terms("الوضع"), topic_terms("عدن")
    news = [[common, "يوم"]] * 50 + [[aden]]
    doc_freqs = {common: 50, "يوم": 50, aden: 1}
    index: TopicIndex[int] = TopicIndex()
    index.add(1, "الوضع في عدن")
    assert index.match(ADEN) == []  # equal weights: «الوضع» is missing
    assert [m.topic for m in index.match(ADEN, weights_from(doc_freqs, len(news)))] == [1]


def test_bm25_picks_the_sentence_to_quote() -> None:
    index: TopicIndex[int] = TopicIndex()
    index.add(7, "عدن")
    sentences = ["ذكر التقرير عدن في سياق طويل عن الموانئ والتجارة والملاحة في البحر الأحمر.",
                 "ميناء عدن يستقبل سفن عدن التجارية."]
    assert index.match(sentences)[0].sentence == 1  # two mentions in a short sentence score higher


def test_remove_and_readd() -> None:
    index: TopicIndex[int] = TopicIndex()
    index.add(1, "عدن")
    index.add(2, "عدن")
    index.remove(1)
    assert [m.topic for m in index.match(ADEN)] == [2] and len(index) == 1
    index.remove(2)
    assert index.match(ADEN) == [] and len(index) == 0
    assert index.add(3, "؟؟") == () and 3 not in index


def test_how_people_phrase_a_topic_is_not_the_topic() -> None:
    # «آخر أخبار», «مستجدات»: what a sentence about the topic will not say.
    assert topic_terms("ما آخر أخبار عدن؟") == topic_terms("عدن")
    assert topic_terms("أرسل لي مستجدات الأمطار في جدة") == topic_terms("الأمطار جدة")
    assert topic_terms("آخر الأخبار") != ()  # nothing but fillers: kept rather than nothing
    index: TopicIndex[int] = TopicIndex()
    index.add(1, "ما آخر أخبار الأمطار في جدة؟")
    assert [m.topic for m in index.match(["هطلت أمطار غزيرة على جدة صباح اليوم."])] == [1]
