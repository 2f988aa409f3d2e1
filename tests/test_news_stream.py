"""Answering on a news stream (issue 8): context, answer types, the latest report, nisba and dialect,
proclitics, and the chrome of real news pages. Articles are hand-written for these tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from retrieval.analysis.analyzer import analyze, term_root
from retrieval.answering.answer_type import AnswerType, answer_type, offers
from retrieval.answering.news_index import NewsIndex
from retrieval.answering.replies import AnswerPolicy
from retrieval.answering import abstain, rerank
from retrieval.answering.rerank import Evidence
from retrieval.search.spelling import SpellingIndex
from retrieval.search.term_index import Hit, Query
from retrieval.text.article import Article, parse_text


def article(aid: str, title: str, sentences: list[str], day: int = 1, source: str = "wire") -> Article:
    return Article(
        id=aid, title=title, sentences=tuple(sentences), source=source, url=f"https://news.example/{aid}",
        published=datetime(2015, 8, day, 9, 0),
    )


# Filler stories so that idf means something.
FILLER = [
    article(f"f{i}", f"خبر عام رقم {i}", [
        f"افتتح المحافظ معرضا للكتاب في المدينة يضم {i} دار نشر.",
        "وأكد المنظمون أن المعرض يستمر أسبوعا كاملا.",
        "وشهد اليوم الأول إقبالا كبيرا من الزوار والعائلات.",
    ])
    for i in range(12)
]


@pytest.mark.parametrize(
    ("a", "b"),
    [("كوسوفو", "الكوسوفي"), ("تركيا", "التركية"), ("أرمينيا", "الأرمني"), ("أرمينيا", "الأرمينية"),
     ("أذربيجان", "الأذري"), ("أذربيجان", "الأذربيجاني")],
)
def test_a_country_and_its_adjective_meet_in_one_term(a: str, b: str) -> None:
    assert analyze(a) == analyze(b)


@pytest.mark.parametrize("question", ["بدي اعرف", "عايز اعرف", "رح"])
def test_dialect_want_and_future_words_carry_no_topic(question: str) -> None:
    assert analyze(question) == []


def test_a_proclitic_is_read_off_when_the_corpus_writes_the_word_bare() -> None:
    spelling = SpellingIndex({"داعش": 500, "بداعش": 3, "باب": 400, "اب": 900})
    assert spelling.correct("بداعش") == "داعش"
    assert spelling.correct("باب") is None  # "اب" is too short to be the word under a clitic


def test_the_word_under_a_proclitic_is_stemmed_again() -> None:
    # بتعزيز keeps its ب through the stemmer, so the stemmer never saw تعزيز, indexed as عزز.
    (term,) = analyze("بتعزيز")
    spelling = SpellingIndex({"عزز": 300, term: 2})
    assert spelling.correct(term) == analyze("تعزيز")[0] == "عزز"
    health = [article(f"t{i}", "الصحة", [f"أعلنت الوزارة تعزيز إجراءات منع العدوى في {i} مستشفيات."]) for i in range(10)]
    index = NewsIndex([*health, *FILLER])
    query = index.sentences.query("بتعزيز إجراءات العدوى")
    assert query.corrected == {term: "عزز"} and not query.guessed(term)  # a proclitic off is no guess


def test_a_doubled_long_vowel_is_read_off_before_likelier_looking_edits() -> None:
    spelling = SpellingIndex({"موصل": 100, "موال": 5000})
    assert spelling.correct("موصال") == "موصل"


@pytest.mark.parametrize(
    ("question", "kind"),
    [("شكون رئيس الحكومة؟", AnswerType.WHO), ("مينو رئيس الوزراء؟", AnswerType.WHO),
     ("وقتاش افتتحت القناة؟", AnswerType.WHEN), ("إيمتى افتتحوا القناة؟", AnswerType.WHEN),
     ("شقد عدد القتلى؟", AnswerType.HOW_MANY), ("اشحال كلف المشروع؟", AnswerType.HOW_MANY),
     ("شحال كلف المشروع؟", AnswerType.HOW_MANY)],
)
def test_iraqi_and_maghrebi_question_words_ask_their_kind_and_name_no_topic(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind
    assert len(analyze(question)) == len(analyze(question.split(maxsplit=1)[1]))  # the question word adds no term


def test_answer_types_result_where_and_dialect_name() -> None:
    assert answer_type("ما نتيجة مباراة الهلال والنصر؟") is AnswerType.RESULT
    assert answer_type("وين صار الحادث؟") is AnswerType.WHERE
    assert answer_type("شو اسمه الانتحاري؟") is AnswerType.WHO
    assert answer_type("كم من الجنود قتلوا؟") is AnswerType.HOW_MANY
    assert offers("فاز الهلال على النصر 3-1 أمس.", AnswerType.RESULT, frozenset())
    assert not offers("يلتقي الهلال مع النصر يوم 12/08/2015.", AnswerType.RESULT, frozenset())
    # The year the question names is not the number it asks for.
    assert not offers("سقطت الأمطار في أغسطس 1977.", AnswerType.HOW_MANY, frozenset({"1977"}))
    assert offers("سقطت 17 ملم في أغسطس 1977.", AnswerType.HOW_MANY, frozenset({"1977"}))


def test_a_sentence_is_read_with_its_title_and_neighbours() -> None:
    story = article("s1", "زلزال بقوة 6 درجات يضرب جزيرة سومطرة", [
        "ضرب زلزال قوي جزيرة سومطرة الإندونيسية فجر اليوم.",
        "وقال المتحدث باسم الهيئة إن الزلزال لم يسفر عن ضحايا.",
        "وأضاف أن فرق الإنقاذ انتشرت في 14 قرية متضررة.",
    ])
    other = article("s2", "فرق الإنقاذ تنتشر بعد الفيضانات", [
        "انتشرت فرق الإنقاذ في 20 قرية بعد الفيضانات.",
    ])
    index = NewsIndex([story, other, *FILLER])
    top = index.ask("كم قرية انتشرت فيها فرق الإنقاذ بعد زلزال سومطرة؟").answers[0]
    assert top.article.id == "s1" and "14 قرية" in top.text


def test_derivations_of_one_root_meet_and_proclitics_come_off() -> None:
    def root_of(word: str) -> str | None:
        (term,) = analyze(word)
        return term_root(term)

    assert root_of("حمولة") == root_of("تحمل") == root_of("محملة") is not None
    assert root_of("مددوا") == root_of("بتمديد") and root_of("لجامعة") == root_of("الجامعة")
    assert root_of("التعويضات") == root_of("تعويض") != root_of("حمولة")
    assert term_root("2015") is None and term_root("covid") is None  # numbers and Latin have none
    assert root_of("سنة") is None  # a two-letter stem (سن) would join unrelated words


def test_a_question_word_met_in_another_derivation_lifts_the_sentence() -> None:
    # Both sentences hold the ship, the port and Aden; only the second says what it carried, with
    # محملة where the question asks حمولة. BM25 prefers the shorter first one.
    passengers = article("a1", "ميناء عدن", ["وصلت سفينة الركاب إلى ميناء عدن صباح اليوم."])
    aid = article("a2", "مساعدات", ["وصلت إلى ميناء عدن أمس سفينة محملة بـ 3540 طنا من المساعدات الغذائية."])
    question = "ما حمولة السفينة التي وصلت إلى ميناء عدن؟"
    index = NewsIndex([passengers, aid, *FILLER])
    assert index.ask(question).answers[0].article.id == "a2"
    without = NewsIndex([passengers, aid, *FILLER], policy=replace(AnswerPolicy(), root_weight=0.0, root_share=0.0))
    assert without.ask(question).answers[0].article.id == "a1"


def test_the_context_and_root_bonuses_add_up_and_candidates_past_keep_are_never_read() -> None:
    index = NewsIndex([*FILLER])
    query = index.sentences.query("معرض زوار حمولة")
    weight = {query.corrected.get(t, t): w for t, w in query.weights.items()}
    both = Evidence(own=frozenset({"معرض"}), context=frozenset({"زوار"}), rooted=frozenset({"حمول"}))
    bare = Evidence(own=frozenset({"معرض"}), context=frozenset())
    read: list[int] = []

    def evidence_of(doc: int) -> Evidence:
        read.append(doc)
        return both if doc == 1 else bare

    hits = [Hit(doc=0, score=10.0), Hit(doc=1, score=9.0), Hit(doc=2, score=1.0)]
    lifted = rerank.with_context(hits, query, evidence_of, (0.2, 0.1), keep=2)
    assert {h.doc: h.score for h in lifted}[1] == pytest.approx(9.0 + 0.2 * weight["زوار"] + 0.1 * weight["حمول"])
    assert {h.doc: h.score for h in lifted}[0] == 10.0 and read == [0, 1]  # doc 2 is past `keep`
    read.clear()
    assert rerank.with_context(hits, query, evidence_of, (0.0, 0.0), keep=2) == hits and read == []  # nothing read


def test_roots_are_read_for_context_held_terms_only_when_a_root_weighs_more() -> None:
    story = article("r1", "زيارة", ["وصل الوفد إلى المدينة.", "وقال المتحدث إن السفينة محملة بالقمح."])
    index = NewsIndex([story, *FILLER])
    query = index.sentences.query("حمولة سفينة الوفد")
    load, ship, delegation = (analyze(w)[0] for w in ("حمولة", "سفينة", "الوفد"))
    looked_up: list[frozenset[str]] = []

    def by_root(doc: int, terms: frozenset[str]) -> frozenset[str]:
        looked_up.append(terms)
        return terms & frozenset({load, delegation})  # as if both were held by root

    args = (index.refs, index.sentences.held_by, 1, rerank.query_terms(query), lambda d, t: frozenset(), by_root)
    # The lead holds الوفد: while a root weighs no more than the context, only حمولة is looked up.
    found = rerank.evidence(*args)
    assert found.own == {ship} and found.context == {delegation} and looked_up == [frozenset({load})]
    assert found.rooted == {load}
    over = rerank.evidence(*args, roots_over_context=True)
    assert over.rooted == {load, delegation} and looked_up[-1] == frozenset({load, delegation})
    # Held both ways, a term counts once, at the larger share and weight.
    weight = {query.corrected.get(t, t): w for t, w in query.weights.items()}
    total = query.total_weight
    assert over.coverage(query, 0.25, 0.4) == pytest.approx((weight[ship] + 0.4 * (weight[delegation] + weight[load])) / total)
    assert over.coverage(query, 0.25, 0.1) == pytest.approx((weight[ship] + 0.25 * weight[delegation] + 0.1 * weight[load]) / total)
    hits = [Hit(doc=1, score=5.0)]
    lifted = rerank.with_context(hits, query, lambda d: over, (0.2, 0.3), keep=1)
    assert lifted[0].score == pytest.approx(5.0 + 0.3 * (weight[delegation] + weight[load]))


def test_roots_follow_the_policy_of_the_moment_even_for_the_same_question() -> None:
    aid = article("a2", "مساعدات", ["وصلت إلى ميناء عدن أمس سفينة محملة بـ 3540 طنا من المساعدات الغذائية."])
    index = NewsIndex([aid, *FILLER], policy=replace(AnswerPolicy(), root_weight=0.0, root_share=0.0))
    query = index.sentences.query("ما حمولة السفينة؟")
    assert index.evidence(0, query).rooted == frozenset()  # built with roots off: nothing read by root
    index.policy = AnswerPolicy()
    assert index.evidence(0, query).rooted == {analyze("حمولة")[0]}  # the same Query, read anew


def test_the_root_share_can_decide_whether_to_answer() -> None:
    # Two thirds of the question's weight held only by root: 0.05 of it lifts a 0.38 coverage over 0.4.
    query = Query(terms=("a", "b"), weights={"a": 0.38, "b": 0.62}, corrected={})
    found = Evidence(own=frozenset({"a"}), context=frozenset(), rooted=frozenset({"b"}))
    assert abstain.answers(query, found, AnswerPolicy(), None)
    assert not abstain.answers(query, found, AnswerPolicy(root_share=0.0), None)


def test_a_term_held_by_root_counts_its_share_towards_coverage() -> None:
    index = NewsIndex([*FILLER])
    query = index.sentences.query("معرض زوار حمولة")
    weights = {query.corrected.get(t, t): w for t, w in query.weights.items()}
    found = Evidence(own=frozenset({"معرض"}), context=frozenset({"زوار"}), rooted=frozenset({"حمول"}))
    expected = (weights["معرض"] + 0.25 * weights["زوار"] + 0.1 * weights["حمول"]) / query.total_weight
    assert found.coverage(query, 0.25, 0.1) == pytest.approx(expected)
    assert found.missing(query) == []
    assert Evidence(own=frozenset({"معرض"}), context=frozenset()).missing(query) == ["زوار", "حمول"]


def test_the_context_is_the_title_the_lead_and_both_neighbours_only() -> None:
    story = article("c1", "فعالية صيفية", [
        "افتتح المحافظ الفعالية في المدينة.",
        "وتعرض التمور في مهرجان القصيم.",
        "وأضاف أن عدد الزوار بلغ 5000 زائر.",
        "وشارك في الفعالية عدد من الحرفيين.",
        "ويختتم الحفل بعرض للألعاب النارية.",
    ])
    index = NewsIndex([story, *FILLER])
    query = index.sentences.query("كم عدد زوار مهرجان التمور الصيفي والحرفيين والألعاب الذي افتتحه المحافظ؟")
    terms = {t: analyze(w)[0] for t, w in [("festival", "مهرجان"), ("dates", "التمور"), ("summer", "صيفية"),
                                              ("crafts", "الحرفيين"), ("games", "الألعاب"), ("governor", "المحافظ")]}
    found = index.evidence(2, query)  # "وأضاف أن عدد الزوار ...", the third sentence
    # The lead (المحافظ), the sentence before (مهرجان, التمور) and after (الحرفيين) and the title (صيفية)
    # count; the fifth sentence does not.
    expected = {terms[k] for k in ("festival", "dates", "crafts", "summer", "governor")}
    assert expected <= found.context
    assert terms["games"] not in found.context | found.own


def test_latest_questions_get_the_newest_report() -> None:
    days = [(3, "ارتفعت حصيلة ضحايا الفيضانات في الإقليم إلى 22 قتيلا."),
            (6, "ارتفعت حصيلة ضحايا الفيضانات في الإقليم إلى 92 قتيلا حسب السلطات المحلية في الإقليم."),
            (9, "وصلت حصيلة ضحايا الفيضانات التي تضرب الإقليم منذ أسابيع إلى 151 قتيلا.")]
    stories = [article(f"d{day}", "فيضانات الإقليم", [text], day=day) for day, text in days]
    index = NewsIndex([*stories, *FILLER])
    assert "151" in index.ask("ما آخر حصيلة لضحايا الفيضانات في الإقليم؟").answers[0].text
    # Without "آخر" the best match wins, whatever its date.
    assert "92" in index.ask("كم بلغت حصيلة ضحايا الفيضانات حسب السلطات المحلية في الإقليم؟").answers[0].text


def test_a_result_question_is_not_answered_by_a_preview() -> None:
    preview = article("p1", "الهلال يواجه النصر في نهائي الكأس", [
        "يلتقي الهلال مع النصر مساء الأربعاء في نهائي الكأس على ملعب الملك فهد.",
    ])
    index = NewsIndex([preview, *FILLER])
    assert not index.ask("ما نتيجة مباراة الهلال والنصر في نهائي الكأس؟").answered
    played = article("p2", "الهلال بطلا", ["فاز الهلال على النصر 2-1 في نهائي الكأس على ملعب الملك فهد."], day=5)
    assert NewsIndex([preview, played, *FILLER]).ask("ما نتيجة مباراة الهلال والنصر في نهائي الكأس؟").answered


def test_a_count_is_not_answered_by_a_date() -> None:
    preview = article("d1", "نهائي السوبر في لندن", [
        "تقام مباراة نهائي السوبر بحضور الجماهير يوم الأربعاء 12 أغسطس 2015 على ملعب لوفتس رود.",
    ])
    question = "كم عدد الجماهير التي حضرت نهائي السوبر على ملعب لوفتس رود؟"
    assert not NewsIndex([preview, *FILLER]).ask(question).answered
    played = article("d2", "الهلال بطل السوبر", ["حضر نهائي السوبر على ملعب لوفتس رود 16 ألف من الجماهير."], day=13)
    assert NewsIndex([preview, played, *FILLER]).ask(question).answers[0].article.id == "d2"


def test_news_page_chrome_is_never_a_sentence() -> None:
    parsed = parse_text(
        "سالم العمري- سبق- جدة: أعلنت الأمانة افتتاح 3 حدائق جديدة.\n"
        "شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك وصلت البعثة إلى لندن.\n"
        "هند سالم – عين اليوم\n"
        "رابط الخبر بصحيفة الوئام: الأمانة تفتتح 3 حدائق\n"
        "// انتهى //\n"
        "سبق- الرياض: قرر الوزير تمديد المهلة 30 يوما.\n"
        "وقد انتهى العمل في الحديقة الثالثة أمس.\n"
        # As SaudiNewsNet has them: the link label glued after a paragraph's last sentence, the
        # slider's labels glued before its first.
        + "وتضم الحدائق ممرات للمشاة. " * 12
        + "رابط الخبر بصحيفة الوئام: انتحاري يقتل «33» داعشياً في مركز تدريب بالموصل\n"
        "Next Previous أقامت الهيئة معرضا للتوعية في الباحة.\n"
    )
    assert parsed.sentences == (
        "أعلنت الأمانة افتتاح 3 حدائق جديدة.",
        "وصلت البعثة إلى لندن.",
        "قرر الوزير تمديد المهلة 30 يوما.",
        "وقد انتهى العمل في الحديقة الثالثة أمس.",
        *["وتضم الحدائق ممرات للمشاة."] * 12,
        "أقامت الهيئة معرضا للتوعية في الباحة.",
    )


def copies_of_one_story() -> list[Article]:
    fact = "أعلنت الهيئة العامة للطيران المدني تشغيل مطار الجوف الجديد وتبلغ طاقته 2 مليون مسافر سنويا."
    return [
        article("c1", "تشغيل مطار الجوف الجديد", [fact, "ويضم المطار صالة للمسافرين."], day=4, source="okaz"),
        article("c2", "مطار الجوف الجديد يبدأ التشغيل", [fact], day=4, source="alriyadh"),
        article("c3", "الطيران المدني: مطار الجوف بطاقة مليوني مسافر", ["قالت الهيئة " + fact], day=3, source="sabq"),
        article("c4", "الهيئة تدرس توسعة مطار الجوف", ["تدرس الهيئة توسعة مطار الجوف لرفع طاقته لاحقا."],
                day=2, source="was"),
    ]


def test_one_story_from_several_outlets_is_quoted_once_naming_the_others() -> None:
    reply = NewsIndex([*copies_of_one_story(), *FILLER]).ask("كم طاقة مطار الجوف الجديد؟", top_k=3)
    top = reply.answers[0]
    assert "2 مليون مسافر" in top.text
    named = {top.article.source, *(a.source for a in top.also_reported_by)}
    assert named == {"okaz", "alriyadh", "sabq"}
    # No other quote repeats the same fact.
    assert all("2 مليون مسافر" not in a.text for a in reply.answers[1:])


def test_related_articles_fit_the_question_and_never_repeat_the_quoted_story() -> None:
    reply = NewsIndex([*copies_of_one_story(), *FILLER]).ask("كم طاقة مطار الجوف؟")
    quoted = {reply.answers[0].article.id, *(a.id for a in reply.answers[0].also_reported_by)}
    related_urls = [h.link.url for h in reply.related]
    assert "https://news.example/c4" in related_urls
    assert not quoted & {url.rsplit("/", 1)[1] for url in related_urls if url}


def test_every_citation_carries_the_article_date() -> None:
    reply = NewsIndex([*copies_of_one_story(), *FILLER]).ask("كم طاقة مطار الجوف الجديد؟")
    assert "2015-08-0" in reply.answers[0].citation


def test_the_bot_cites_the_date_and_the_other_outlets() -> None:
    from bot.telegram.render import render_reply

    html = "\n".join(render_reply(NewsIndex([*copies_of_one_story(), *FILLER]).ask("كم طاقة مطار الجوف الجديد؟")))
    assert "2015-08-04" in html
    assert "ونقلته أيضا" in html and "sabq" in html


def test_a_rare_corpus_slip_is_read_as_the_common_word_one_long_vowel_shorter() -> None:
    spelling = SpellingIndex({"يونايتيد": 1, "يونايتد": 400, "لوفتس": 2})
    assert spelling.correct("يونايتيد") == "يونايتد"
    assert spelling.correct("لوفتس") is None  # rare, but no common word one vowel shorter
