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
    "• أين اجتمع الوفدان؟\n\n"
    "<b>الأوامر:</b>\n"
    "/latest — آخر الأخبار\n"
    "/subscribe — أرسل لي كل خبر جديد\n"
    "/unsubscribe — أوقف إرسال الأخبار الجديدة\n"
    "/ask سؤالك — لطرح سؤال داخل المجموعات\n"
    "/help — هذه الرسالة\n\n"
    "في المجموعات: اذكرني باسمي، أو ردّ على إحدى رسائلي، أو استعمل /ask."
)
HELP_ADMIN_HTML = "\n\n<b>للمشرفين:</b>\n/stats — إحصاءات البوت"
ADMINS_ONLY = "هذا الأمر متاح للمشرفين فقط."
STATS_HTML = (
    "<b>إحصاءات البوت</b>\n"
    "الأخبار المخزنة: {articles} (في الفهرس الآن: {indexed})\n"
    "المحادثات: {chats}\n"
    "المشتركون: {subscribers}\n"
    "أسئلة أُجيب عنها: {answered}\n"
    "أسئلة بلا جواب: {abstained}"
)
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
