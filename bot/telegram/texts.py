"""Every fixed sentence the bot says, in one place (Arabic for users, English for operators)."""

from retrieval import SENTENCE_LABEL, UNKNOWN_SOURCE  # noqa: F401  (re-exported: texts.UNKNOWN_SOURCE)

NO_ANSWER_PLAIN = "لم أجد في الأخبار المتوفرة لدي ما يجيب عن هذا السؤال."
RELATED_HEADING = "روابط ذات صلة"
NO_TOKEN_NOTICE = (
    "newsbot: no NEWSBOT_TELEGRAM_TOKEN set; starting the local console on the seed articles "
    "(type a question, Ctrl-D to quit)."
)

# The bot on Telegram (HTML parse mode: these are trusted markup, never user text).
HELP_HTML = (
    "مرحبًا! أنا بوت يجيب عن أسئلتك حول الأخبار المتوفرة لدي، "
    "وأقتبس الجملة التي تحمل الجواب حرفيًا مع ذكر مصدرها.\n\n"
    "<b>أمثلة على الأسئلة:</b>\n"
    "• من هو وزير الدفاع التركي الذي ترأس الوفد؟\n"
    "• أين اجتمع الوفدان؟\n"
    "• ثم تابع: ومتى؟ كم عددهم؟ (أفهم السؤال مع ما قبله)\n\n"
    "<b>الأوامر:</b>\n"
    "/latest — آخر الأخبار\n"
    "/subscribe — أرسل لي كل خبر جديد، أو نشرة كل بضع ساعات أو نشرة يومية\n"
    "/digest — نشرة الأخبار الآن (لمن اختار النشرة)\n"
    "/unsubscribe — أوقف إرسال الأخبار الجديدة\n"
    "/follow موضوع — أرسل لي الأخبار عن موضوع فقط\n"
    "/following — المواضيع التي أتابعها لك\n"
    "/unfollow موضوع — ألغِ متابعة موضوع\n"
    "/ask سؤالك — لطرح سؤال داخل المجموعات\n"
    "/help — هذه الرسالة\n\n"
    "في المجموعات: اذكرني باسمي، أو ردّ على إحدى رسائلي، أو استعمل /ask."
)
HELP_ADMIN_HTML = (
    "\n\n<b>للمشرفين:</b>\n/stats — إحصاءات البوت\n"
    "/feeds — الخلاصات وحالتها (وملف OPML بها)\n/addfeed رابط — أضف خلاصة (أو أرسل ملف OPML لإضافة خلاصاته كلها)\n"
    "/removefeed رابط — أزل خلاصة\n"
    "/channel @قناة all|topic موضوع|digest|off — النشر في قناة أنا مشرف فيها"
)
ADMINS_ONLY = "هذا الأمر متاح للمشرفين فقط."
STATS_HTML = (
    "<b>إحصاءات البوت</b>\n"
    "الأخبار المخزنة: {articles} (في الفهرس الآن: {indexed})\n"
    "المحادثات: {chats}\n"
    "المشتركون: {subscribers}\n"
    "أسئلة أُجيب عنها: {answered}\n"
    "أسئلة بلا جواب: {abstained}"
)
# This worker's metrics since it started (the same figures as /metrics), under STATS_HTML.
STATS_RUNTIME_HTML = (
    "\n\n<b>هذا الخادم منذ بدء تشغيله</b>\n"
    "الأسئلة: {answered} أُجيب عنها، {abstained} بلا جواب، {small_talk} دردشة، {refused} غير صالحة\n"
    "زمن الإجابة: {mean} في المتوسط، و95٪ منها خلال {p95}\n"
    "الإرسال: {sent} أُرسلت، {failed} فشلت، {postponed} أُجّلت، {blocked} حظرت البوت؛ تنتظر الآن {waiting}\n"
    "الخلاصات: {polls} جلبًا، {feeds_failing} تتعثر الآن؛ أخبار جديدة منها: {ingested}\n"
    "الفهرس: {index_articles} خبرًا و{index_sentences} جملة؛ آخر تحديث قبل {ago}، وتحديثات فاشلة: {refresh_failures}"
)
MILLISECONDS = "{value} ميلي ثانية"
SECONDS_AGO = "{value} ثانية"
NOT_YET = "—"
NO_ANSWER_HTML = (
    "عذرًا، لم أجد في الأخبار المتوفرة لدي ما يجيب عن هذا السؤال. "
    "يمكنك الاطلاع على آخر الأخبار عبر /latest."
)
EMPTY_QUESTION = "أرسل لي سؤالك عن الأخبار بالعربية، مثلًا: أين اجتمع الوفدان؟"
NOT_ARABIC = "أفهم الأسئلة المكتوبة بالعربية فقط. جرّب مثلًا: أين اجتمع الوفدان؟"
TRUNCATED_NOTE = "ملاحظة: رسالتك طويلة جدًا، فقرأت أول {chars} حرفًا منها فقط."
ASK_USAGE = "اكتب سؤالك بعد الأمر، مثلًا: /ask أين اجتمع الوفدان؟"
NON_TEXT = "أستطيع قراءة الرسائل النصية فقط. اكتب سؤالك عن الأخبار وسأبحث لك عن الجواب."
EDITED = "لاحظت أنك عدّلت رسالتك. أرسل السؤال من جديد في رسالة جديدة لأجيب عنه."
UNKNOWN_COMMAND = "لا أعرف هذا الأمر. اكتب /help لترى ما أستطيع فعله."
ERROR = "عذرًا، حدث خطأ أثناء معالجة رسالتك. حاول مرة أخرى بعد قليل."
LATEST_HEADING = "آخر الأخبار"
LATEST_EMPTY = "لا توجد أخبار لدي بعد."
SUBSCRIBED = "تم الاشتراك. سأرسل إليك كل خبر جديد يصلني."
ALREADY_SUBSCRIBED = "أنت مشترك بالفعل. سأرسل إليك كل خبر جديد يصلني."
UNSUBSCRIBED = "تم إلغاء الاشتراك. لن أرسل إليك الأخبار الجديدة بعد الآن."
NOT_SUBSCRIBED = "أنت غير مشترك حاليًا. اكتب /subscribe للاشتراك."
GROUP_ADMINS_ONLY = "عذرًا، يستطيع مشرفو المجموعة وحدهم تغيير اشتراكها في الأخبار. اطلب من أحدهم ذلك إن رغبت."
BUTTON_SUBSCRIBE = "🔔 اشترك في الأخبار الجديدة"
BUTTON_UNSUBSCRIBE = "🔕 إلغاء الاشتراك"
NEW_ARTICLE = "خبر جديد"
# The citation words come from retrieval so plain and HTML citations cannot drift apart.
SENTENCE = SENTENCE_LABEL
READ_MORE = "اقرأ الخبر"
# Before the other outlets that reported the same sentence (one quote per story).
ALSO_REPORTED_BY = "ونقلته أيضا"

# Topic alerts (/follow, /following, /unfollow).
FOLLOW_USAGE = "اكتب الموضوع بعد الأمر، مثلًا: /follow قره باغ"
FOLLOWED = "سأرسل إليك كل خبر جديد عن «{topic}»، مع الجملة التي تذكره."
ALREADY_FOLLOWING = "أنت تتابع «{topic}» بالفعل."
FOLLOW_EMPTY = "لم أجد في رسالتك كلمات أبحث عنها. اكتب موضوعًا مثل: /follow قره باغ"
FOLLOW_TOO_MANY = "تتابع {limit} موضوعًا، وهو الحد الأقصى. احذف موضوعًا عبر /following ثم أضف الجديد."
FOLLOWING_HEADING = "المواضيع التي تتابعها"
FOLLOWING_EMPTY = "لا تتابع أي موضوع بعد. اكتب مثلًا: /follow قره باغ"
FOLLOWING_HINT = "اضغط على موضوع لإلغاء متابعته."
UNFOLLOWED = "ألغيت متابعة «{topic}»."
NOT_FOLLOWING = "لا تتابع موضوعًا بهذا الاسم. اكتب /following لترى مواضيعك."
ALERT_HEADING = "🔔 خبر عن «{topic}»"
ALERTS_HEADING = "🔔 أخبار جديدة عن مواضيعك ({count})"

# Digests (/subscribe's choice, /digest).
PLAN_CHOOSE = "اختر كيف تصلك الأخبار:"
PLAN_EVERY = "ستصلك نشرة بأهم الأخبار كل {hours}، تجمع الخبر الواحد من عدة مصادر في سطر واحد."
PLAN_DAILY = "ستصلك نشرة يومية بأهم الأخبار الساعة {hour:02d}:00 بتوقيت {tz}."
PLAN_USAGE = (
    "اكتب /subscribe لتختار بالأزرار، أو مثلًا: /subscribe all (كل خبر)، "
    "/subscribe every 6 (نشرة كل 6 ساعات)، /subscribe daily 8 Africa/Cairo (نشرة يومية)."
)
PLAN_BAD_HOURS = "اختر عدد ساعات من: {choices}."
PLAN_BAD_HOUR = "الساعة من 0 إلى 23، مثلًا: /subscribe daily 8"
PLAN_BAD_TZ = "لا أعرف هذه المنطقة الزمنية. اكتبها مثل Asia/Riyadh أو Africa/Cairo."
BUTTON_PLAN_ALL = "📰 كل خبر فور وصوله"
BUTTON_PLAN_EVERY = "🗞 كل {hours}"
BUTTON_PLAN_DAILY = "🗓 نشرة يومية…"
PLAN_PICK_HOUR = "في أي ساعة تصلك النشرة اليومية؟ (بتوقيت {tz})"
DIGEST_HEADING = "🗞 نشرة الأخبار: {count} منذ النشرة السابقة"
DIGEST_MORE = "وغيرها: {count}. اسألني عن أي منها."
DIGEST_NO_PLAN = "لست مشتركًا في النشرة. اكتب /subscribe واختر نشرة كل بضع ساعات أو نشرة يومية."
DIGEST_NOTHING_NEW = "لا أخبار جديدة منذ النشرة السابقة."


def hours_text(n: int) -> str:
    """"3 ساعات", "12 ساعة", "ساعة": the counted noun as Arabic wants it."""
    if n == 1:
        return "ساعة"
    if n == 2:
        return "ساعتين"
    return f"{n} ساعات" if n <= 10 else f"{n} ساعة"

# Feeds managed from Telegram (admins: /addfeed, /feeds, /removefeed).
ADDFEED_USAGE = "اكتب رابط الخلاصة بعد الأمر، مثلًا: /addfeed https://example.com/rss.xml — أو أرسل ملف OPML لإضافة كل خلاصاته."
FEED_ADDED = "أضفت الخلاصة «{title}» ({entries} خبرًا فيها الآن). سأجلبها مع الخلاصات الأخرى دون إعادة تشغيل."
FEED_EXISTS = "هذه الخلاصة متابعة بالفعل."
FEED_INVALID = "لم أستطع استعمال هذا الرابط خلاصةً للأخبار: {reason}"
FEED_REMOVED = "أزلت الخلاصة. لن أجلب منها أخبارًا جديدة (أخبارها المخزنة تبقى)."
FEED_CONFIGURED = "هذه الخلاصة مضبوطة في NEWSBOT_FEEDS؛ أزلها من هناك."
FEED_UNKNOWN = "لا أتابع خلاصة بهذا الرابط. اكتب /feeds لترى الخلاصات."
REMOVEFEED_USAGE = "اكتب رابط الخلاصة بعد الأمر، مثلًا: /removefeed https://example.com/rss.xml"
FEEDS_HEADING = "الخلاصات المتابعة"
FEEDS_EMPTY = "لا أتابع أي خلاصة. أضف واحدة: /addfeed رابط"
FEED_OK = "✅ آخر جلب ناجح {when}"
FEED_FAILING = "⚠️ خطأ ({count} مرات متتالية): {error}"
FEED_NEVER = "⏳ لم تُجلب بعد"
FEED_ARTICLES = "{count} خبرًا مخزنًا"
FEED_FROM_SETTINGS = "من الإعدادات"
FEED_FROM_CHAT = "أضيفت من تيليجرام"
BUTTON_FEEDS_OPML = "📄 القائمة بصيغة OPML"
FEEDS_OPML_CAPTION = "الخلاصات المتابعة بصيغة OPML: يستوردها أي قارئ خلاصات، وتعيدها إليّ ملفًّا."
OPML_IMPORTED = "استوردت ملف OPML. خلاصات أضفتها: {added} · متابَعة من قبل: {followed} · مرفوضة: {refused}"
OPML_REFUSED_LINE = "• {url} — {why}"
OPML_MORE_REFUSED = "… و{count} غيرها."
OPML_INVALID = "لم أستطع قراءة ملف OPML هذا، ولم أغيّر شيئًا: {reason}"
OPML_TOO_LARGE = "ملف OPML هذا أكبر من {kb} كيلوبايت، ولم أغيّر شيئًا."

# Channels (admins: /channel).
CHANNEL_USAGE = (
    "اكتب: /channel @اسم_القناة ثم all (كل خبر) أو topic موضوع (أخبار موضوع) أو digest "
    "(نشرة كل 6 ساعات، أو digest every 3، أو digest daily 8) أو off (إيقاف النشر)."
)
CHANNEL_BAD_NAME = "اكتب اسم القناة كما هو، مثل @my_news_channel."
CHANNEL_NOT_FOUND = "لا أجد هذه القناة. تأكد من اسمها ومن أنني عضو فيها."
CHANNEL_NOT_A_CHANNEL = "هذه ليست قناة. أستطيع النشر في القنوات فقط عبر هذا الأمر."
CHANNEL_NOT_ADMIN = "لست مشرفًا في {title} بصلاحية نشر الرسائل. أضفني مشرفًا فيها ثم أعد المحاولة."
CHANNEL_ALL = "سأنشر في {title} كل خبر جديد."
CHANNEL_TOPIC = "سأنشر في {title} الأخبار الجديدة عن «{topic}»."
CHANNEL_DIGEST = "سأنشر في {title} نشرة الأخبار: {plan}"
CHANNEL_OFF = "أوقفت النشر في {title}."


def news_count(n: int) -> str:
    """"خبر واحد", "خبران", "5 أخبار", "12 خبرًا": the counted noun as Arabic wants it."""
    if n == 1:
        return "خبر واحد"
    if n == 2:
        return "خبران"
    return f"{n} أخبار" if 3 <= n <= 10 else f"{n} خبرًا"

# Conversation (issue 17): small talk, the topic a follow-up was read with, "more" and "source".
# The first line of the reply to each kind of small talk (retrieval/conversation/smalltalk.py: Talk).
SMALLTALK = {
    "salam": "وعليكم السلام ورحمة الله وبركاته!",
    "greeting": "أهلًا وسهلًا بك!",
    "morning": "صباح النور!",
    "evening": "مساء النور!",
    "how_are_you": "بخير والحمد لله، شكرًا لسؤالك.",
    "thanks": "العفو، يسعدني ذلك!",
    "blessing": "الله يعافيك ويسلمك!",
    "bye": "مع السلامة، في أمان الله!",
    "who_are_you": "أنا بوت الأخبار: أجيب عن أسئلتك عن الأخبار التي تصلني، وأقتبس الجملة التي تحمل الجواب مع مصدرها.",
    "what_can_you_do": "أجيب عن أسئلتك عن الأخبار بجمل مقتبسة من مصادرها، وأرسل لك آخر الأخبار أو أخبار موضوع تتابعه.",
    "ack": "تحت أمرك.",
}
# ...then one line on what to ask (not after a goodbye).
SMALLTALK_HINT = "اسألني عن أي خبر بالعربية، ثم تابع بسؤال مثل «ومتى؟» أو «كم عددهم؟». آخر الأخبار: /latest"
# Above the answer to a follow-up: the topic it was read with, so a wrong guess shows.
TOPIC_LINE = "عن: {topic}"
BUTTON_MORE = "➕ المزيد"
BUTTON_SOURCE = "📄 {source}"
MORE_NONE = "لا مزيد من الأجوبة عن هذا السؤال في الأخبار المتوفرة لدي."
SOURCE_GONE = "لم أعد أجد هذا الخبر في الأخبار المتوفرة لدي."
