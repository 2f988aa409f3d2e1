"""Every fixed sentence the bot says, in one place (Arabic for users, English for operators)."""

NO_ANSWER_PLAIN = "لم أجد في الأخبار المتوفرة لدي ما يجيب عن هذا السؤال."
RELATED_HEADING = "روابط ذات صلة"
NO_TOKEN_NOTICE = (
    "newsbot: no NEWSBOT_TELEGRAM_TOKEN set; starting the local console on the seed articles "
    "(type a question, Ctrl-D to quit)."
)
