"""Building the real PTB Application: defaults, rate limiter, handlers and the delivery job."""

from __future__ import annotations

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import handlers
from bot.delivery import delivery_job
from bot.service import NewsService
from bot.settings import Settings, SettingsError

NON_TEXT = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)


def file_url_for(bot_api_url: str) -> str:
    """The file download base that goes with a Bot API base URL (…/bot → …/file/bot)."""
    base = bot_api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return base + "/file/bot"


def build_application(
    settings: Settings,
    service: NewsService,
    *,
    request: BaseRequest | None = None,
    token: str | None = None,
    rate_limiter: bool = True,
    jobs: bool = True,
) -> Application:
    """The bot. `request` replaces the HTTP transport (tests, the console); `jobs=False` leaves out the
    periodic delivery job, for callers that drive delivery themselves."""
    token = token or settings.token
    if not token:
        raise SettingsError("NEWSBOT_TELEGRAM_TOKEN: not set (get one from @BotFather)")
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_api_url)
        .base_file_url(file_url_for(settings.bot_api_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # A slow Telegram call for one chat must never hold up the others.
        .concurrent_updates(True)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limiter:
        # Telegram's limits: ~30 messages/s overall and 20/min per group; one retry on a flood error.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=1))
    if not jobs:
        builder = builder.job_queue(None)
    application = builder.build()
    application.bot_data[handlers.SERVICE_KEY] = service
    register_handlers(application)
    if jobs and application.job_queue is not None:
        # first=0: on start, resume whatever a crash or restart left undelivered.
        application.job_queue.run_repeating(
            delivery_job, interval=settings.refresh_seconds, first=0, name="delivery",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )
    if jobs and application.job_queue is not None and settings.feeds:
        from bot.feeds import feeds_job  # lazy: feed parsing and extraction load slowly, and only this job needs them

        application.job_queue.run_repeating(
            feeds_job, interval=settings.feed_seconds, first=1, name="feeds",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )
    return application


def register_handlers(application: Application) -> None:
    # Edits first: otherwise an edited command or question would be handled like a new one.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, handlers.on_edited))
    application.add_handler(CommandHandler(["start", "help"], handlers.on_help))
    application.add_handler(CommandHandler("latest", handlers.on_latest))
    application.add_handler(CommandHandler("subscribe", handlers.on_subscribe))
    application.add_handler(CommandHandler("unsubscribe", handlers.on_unsubscribe))
    application.add_handler(CommandHandler("ask", handlers.on_ask))
    application.add_handler(CommandHandler("stats", handlers.on_stats))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    message = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(message & filters.COMMAND, handlers.on_unknown_command))
    application.add_handler(MessageHandler(message & filters.TEXT, handlers.on_text))
    application.add_handler(MessageHandler(message & NON_TEXT, handlers.on_non_text))
    application.add_error_handler(handlers.on_error)


async def set_commands(application: Application) -> None:
    """Publish the command list shown in Telegram's menu (best effort); /stats stays out, being admins' only."""
    await application.bot.set_my_commands(
        [
            BotCommand("latest", "آخر الأخبار"),
            BotCommand("subscribe", "الاشتراك في الأخبار الجديدة"),
            BotCommand("unsubscribe", "إلغاء الاشتراك"),
            BotCommand("ask", "اطرح سؤالًا عن الأخبار"),
            BotCommand("help", "ما الذي أستطيع فعله"),
        ]
    )
