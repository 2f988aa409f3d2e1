"""`newsbot run`: the bot on Telegram, by long polling or, when NEWSBOT_WEBHOOK_URL is set, a webhook."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from urllib.parse import urlparse

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.core.service import NewsService
from bot.logs import redact, setup_logging
from bot.settings import Settings, SettingsError, derived_webhook_secret
from bot.storage import StorageError
from bot.telegram.app import build_application, set_commands
from bot.telegram.monitoring import serve_on_webhook
from bot.telegram.updates import allowed_updates

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message is one line for the operator."""


# The default webhook secret (kept under this name for callers that derive it, as the worker tests do).
webhook_secret = derived_webhook_secret


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            pass
    service = await NewsService.start(settings)
    try:
        application = build_application(settings, service, monitoring=True)
        try:
            await application.initialize()  # getMe: checks the token
        except InvalidToken:
            raise StartupError("NEWSBOT_TELEGRAM_TOKEN was rejected by the Bot API (check it with @BotFather)") from None
        except NetworkError as exc:
            raise StartupError(f"cannot reach the Bot API at NEWSBOT_BOT_API_URL: {exc.message}") from None
        try:
            # PTB's own run_polling calls these hooks around the Application's life; this runner does too.
            if application.post_init is not None:
                try:
                    await application.post_init(application)
                except OSError as exc:
                    raise StartupError(f"NEWSBOT_METRICS_PORT: cannot listen on {settings.metrics_listen}:"
                                       f"{settings.metrics_port}: {exc.strerror or exc}") from None
            await application.start()
            try:
                await set_commands(application)
            except TelegramError as exc:
                log.warning("could not publish the command list: %s", exc)
            updater = application.updater
            assert updater is not None
            if settings.webhook_url:
                # Telegram echoes the secret in a header on every call; PTB rejects requests without it.
                # NEWSBOT_WEBHOOK_SECRET or the one derived from the token: both are in settings.secrets,
                # which the log redacts (PTB's DEBUG line of setWebhook shows its parameters).
                secret = settings.webhook_secret_value
                await updater.start_webhook(
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                    webhook_url=settings.webhook_url,
                    secret_token=secret,
                    allowed_updates=allowed_updates(application),
                )
                log.info("webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port)
                if settings.metrics_on_webhook and serve_on_webhook(application, updater):
                    log.info("metrics and health also on the webhook's port: /metrics, /healthz")
            else:
                await updater.start_polling(allowed_updates=allowed_updates(application))
                log.info("long polling as @%s", application.bot.username)
            await stop.wait()
            log.info("stopping")
            # Jobs first: a broadcast in progress ends at its next send instead of running to the end.
            service.stopping.set()
            await updater.stop()
            await application.stop()
        finally:
            try:
                await application.shutdown()
            finally:
                if application.post_shutdown is not None:
                    await application.post_shutdown(application)
    finally:
        await service.close()


def run_command(settings: Settings) -> int:
    token = settings.token
    if not token:
        print("newsbot: NEWSBOT_TELEGRAM_TOKEN is not set (create a bot with @BotFather and put its token there)",
              file=sys.stderr)
        return 2
    setup_logging(settings.log_level, token, settings.secrets)
    try:
        asyncio.run(serve(settings))
    except (StartupError, SettingsError) as exc:
        print(f"newsbot: {redact(str(exc), token, settings.secrets)}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"newsbot: NEWSBOT_DATABASE: {redact(str(exc), token, settings.secrets)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    except Exception:
        # Through the log, not Python's own traceback printer: only the log redacts the token, and an
        # httpx error's text can hold the request URL.
        log.critical("newsbot stopped by an unexpected error", exc_info=True)
        return 1
    return 0
