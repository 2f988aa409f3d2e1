"""Building the real PTB Application: defaults, rate limiter, handlers and the delivery job."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.core.service import NewsService
from bot.settings import Settings, SettingsError
from bot.telegram import admin_handlers, handlers, render_admin, subscription_handlers
from bot.telegram.context import CONTEXT_TYPES, SERVICE_KEY, attach_service
from bot.telegram.jobs import DELIVERY_JOB, REFRESH_JOB, delivery_job, feeds_job, purge_job, refresh_job
from bot.telegram.monitoring import start_monitoring, stop_monitoring
from bot.telegram.ratelimit import ChatRateLimiter
from bot.telegram.render_chat import CALLBACK_MORE, CALLBACK_SOURCE
from bot.telegram.render_subscriptions import CALLBACK_PLAN, CALLBACK_UNFOLLOW
from bot.telegram.routing import ADDRESSED_TO_BOT, COMMAND_FOR_BOT
from bot.telegram.updates import SkipUnreadable, UpdateGuard

# How often the query log is purged of questions older than NEWSBOT_QUERY_LOG_DAYS (and at each start).
PURGE_SECONDS = 3600.0

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
    monitoring: bool = False,
) -> Application:
    """The bot. `request` replaces the HTTP transport (tests, the console); `jobs=False` leaves out the
    periodic delivery job, for callers that drive delivery themselves; `monitoring`: /metrics and
    /healthz (NEWSBOT_METRICS_PORT) start and stop with the Application, as its post_init and
    post_shutdown (which whoever runs the Application calls, as PTB's run_polling does)."""
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
        .context_types(CONTEXT_TYPES)
    )
    if request is not None:
        builder = builder.request(request)
    # One update PTB cannot parse must not stall polling for everyone (see bot/telegram/updates.py).
    builder = builder.get_updates_request(SkipUnreadable(request or HTTPXRequest(connection_pool_size=1)))
    if rate_limiter:
        # Telegram's limits: ~30 messages/s overall and 20/min per group; a flood error (429) holds only
        # its chat (bot/telegram/ratelimit.py), and a reply is retried once after it.
        # The overall limit is per bot: N workers sharing a token each take NEWSBOT_SEND_RATE = 30/N.
        builder = builder.rate_limiter(ChatRateLimiter(overall_max_rate=settings.send_rate, max_retries=1))
    if not jobs:
        builder = builder.job_queue(None)
    if monitoring:
        builder = builder.post_init(start_monitoring).post_shutdown(stop_monitoring)
    application = builder.build()
    attach_service(application, service)
    register_handlers(application)
    if jobs and application.job_queue is not None:
        schedule_jobs(application, settings)
    return application


def _starting_at(delay: float) -> dict[str, object]:
    """APScheduler arguments for a job's first run `delay` seconds from now, however late the scheduler
    starts: jobs added before Application.start() are otherwise first run one whole interval later
    (the trigger's next time after the start), and a run missed by more than a second is dropped."""
    first = datetime.now(timezone.utc) + timedelta(seconds=delay)
    return {"next_run_time": first, "misfire_grace_time": None, "max_instances": 1, "coalesce": True}


def schedule_jobs(application: Application, settings: Settings) -> None:
    job_queue = application.job_queue
    assert job_queue is not None
    # Two loops that run for the bot's life (bot/telegram/jobs.py), so neither can pile up: delivery
    # (its first round at once: it resumes whatever a crash or restart left undelivered) and the refresh
    # beside it.
    job_queue.run_once(delivery_job, when=0, name=DELIVERY_JOB, job_kwargs=_starting_at(0))
    job_queue.run_once(refresh_job, when=0, name=REFRESH_JOB, job_kwargs=_starting_at(0))
    job_queue.run_repeating(purge_job, interval=PURGE_SECONDS, name="purge", job_kwargs=_starting_at(PURGE_SECONDS))
    service = application.bot_data[SERVICE_KEY]
    if settings.feeds or service.feeds.added:  # NEWSBOT_FEEDS, or feeds added from Telegram
        job_queue.run_repeating(feeds_job, interval=settings.feed_seconds, name="feeds", job_kwargs=_starting_at(1))


def register_handlers(application: Application) -> None:
    """Route updates by PTB filters; the first handler whose filter matches takes the update."""
    # Before everything (group -1): an update whose fields are not what the Bot API promises stops here.
    application.add_handler(UpdateGuard(handlers.on_malformed), group=-1)
    new = filters.UpdateType.MESSAGE  # commands and questions: never edits, which have their own route
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    # An edit is not answered again (the reply would come out of order); in private it gets a hint.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, handlers.on_edited))
    application.add_handler(CommandHandler(["start", "help"], handlers.on_help, filters=new))
    application.add_handler(CommandHandler("latest", handlers.on_latest, filters=new))
    application.add_handler(CommandHandler("subscribe", subscription_handlers.on_subscribe, filters=new))
    application.add_handler(CommandHandler("digest", subscription_handlers.on_digest, filters=new))
    application.add_handler(CommandHandler("unsubscribe", handlers.on_unsubscribe, filters=new))
    application.add_handler(CommandHandler("follow", subscription_handlers.on_follow, filters=new))
    application.add_handler(CommandHandler("following", subscription_handlers.on_following, filters=new))
    application.add_handler(CommandHandler("unfollow", subscription_handlers.on_unfollow, filters=new))
    application.add_handler(CommandHandler("ask", handlers.on_ask, filters=new))
    application.add_handler(CommandHandler("stats", handlers.on_stats, filters=new))
    application.add_handler(CommandHandler("addfeed", admin_handlers.on_addfeed, filters=new))
    application.add_handler(CommandHandler("removefeed", admin_handlers.on_removefeed, filters=new))
    application.add_handler(CommandHandler("feeds", admin_handlers.on_feeds, filters=new))
    application.add_handler(CommandHandler("channel", admin_handlers.on_channel, filters=new))
    application.add_handler(
        CallbackQueryHandler(subscription_handlers.on_unfollow_button, pattern=f"^{CALLBACK_UNFOLLOW}")
    )
    application.add_handler(CallbackQueryHandler(subscription_handlers.on_plan_button, pattern=f"^{CALLBACK_PLAN}"))
    application.add_handler(
        CallbackQueryHandler(admin_handlers.on_feeds_opml, pattern=f"^{render_admin.CALLBACK_FEEDS_OPML}$"))
    application.add_handler(
        CallbackQueryHandler(handlers.on_answer_button, pattern=f"^({CALLBACK_MORE}|{CALLBACK_SOURCE}):")
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    # The bot blocked in a private chat, or removed from a group: what is kept about the chat goes.
    application.add_handler(ChatMemberHandler(handlers.on_my_status, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(InlineQueryHandler(subscription_handlers.on_inline))
    # Commands no handler above took: answered in private, or in a group when they name this bot.
    application.add_handler(
        MessageHandler(new & filters.COMMAND & (private | COMMAND_FOR_BOT), handlers.on_unknown_command)
    )
    text = new & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(text & private, handlers.on_private_text))
    # Group chatter not meant for the bot matches nothing and is left alone.
    application.add_handler(MessageHandler(text & groups & ADDRESSED_TO_BOT, handlers.on_group_text))
    # Documents: an admin's OPML feed list (in private, or anywhere with /addfeed as the caption).
    application.add_handler(MessageHandler(
        new & filters.Document.ALL & (private | filters.CaptionRegex(admin_handlers.ADDFEED_CAPTION)),
        admin_handlers.on_document))
    # In groups people share photos and stickers with each other all the time: quiet there.
    application.add_handler(MessageHandler(new & NON_TEXT & private, handlers.on_non_text))
    application.add_error_handler(handlers.on_error)


async def set_commands(application: Application) -> None:
    """Publish the command list shown in Telegram's menu (best effort); the admins' commands (/stats,
    /addfeed, /feeds, /removefeed, /channel) stay out, /help lists them to admins."""
    await application.bot.set_my_commands(
        [
            BotCommand("latest", "آخر الأخبار"),
            BotCommand("subscribe", "الاشتراك: كل خبر أو نشرة كل بضع ساعات أو يومية"),
            BotCommand("digest", "نشرة الأخبار الآن (للمشتركين في النشرة)"),
            BotCommand("unsubscribe", "إلغاء الاشتراك"),
            BotCommand("follow", "تابع موضوعًا: أخبار عنه فقط"),
            BotCommand("following", "المواضيع التي تتابعها"),
            BotCommand("unfollow", "إلغاء متابعة موضوع"),
            BotCommand("ask", "اطرح سؤالًا عن الأخبار"),
            BotCommand("help", "ما الذي أستطيع فعله"),
        ]
    )
