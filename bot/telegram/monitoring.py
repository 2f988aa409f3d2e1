"""/metrics and /healthz over HTTP, on the bot's own event loop, started and stopped with the Application.

The server is tornado's (PTB's webhook server is tornado too): it runs on the loop that runs the bot,
so /healthz answering at all shows the loop is alive, and its checks (bot/core/health.py) query the
database through the same connection the bot uses. It listens on NEWSBOT_METRICS_PORT (loopback by
default: NEWSBOT_METRICS_LISTEN); in webhook mode, NEWSBOT_METRICS_ON_WEBHOOK adds the same two paths
to the webhook's own server, where a load balancer sends its health checks.
"""

from __future__ import annotations

import logging
from typing import Any

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST
from telegram.ext import Application, Updater
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.core.health import HealthCheck
from bot.core.service import NewsService
from bot.telegram.context import SERVICE_KEY

log = logging.getLogger(__name__)

MONITORING_KEY = "monitoring"
METRICS_PATH, HEALTH_PATH = "/metrics", "/healthz"


class _MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, service: NewsService) -> None:
        self.service = service

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(self.service.metrics.exposition())


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, health: HealthCheck, bot: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.health = health
        self.bot_application = bot

    async def get(self) -> None:
        health = await self.health.check(running=self.bot_application.running)
        self.set_status(200 if health.ok else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write("ok\n" if health.ok else "".join(f"{problem}\n" for problem in health.problems))


def routes(application: Application[Any, Any, Any, Any, Any, Any]) -> list[tuple[str, type, dict[str, Any]]]:
    service: NewsService = application.bot_data[SERVICE_KEY]
    health = HealthCheck(service)
    return [
        (METRICS_PATH, _MetricsHandler, {"service": service}),
        (HEALTH_PATH, _HealthHandler, {"health": health, "bot": application}),
    ]


class _QuietApp(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        pass  # a scrape every few seconds is not news for the log


class MonitoringServer:
    """The HTTP server of /metrics and /healthz on a port of its own."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self._http = HTTPServer(_QuietApp(routes(application)))
        self.port: int | None = None

    def start(self, listen: str, port: int) -> int:
        """Listen (port 0: any free one); the port listened on. OSError if it is taken."""
        sockets = bind_sockets(port, address=listen)
        self._http.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        self._http.stop()
        await self._http.close_all_connections()


async def start_monitoring(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_init: the monitoring server, when NEWSBOT_METRICS_PORT is set."""
    settings = application.bot_data[SERVICE_KEY].settings
    if settings.metrics_port is None:
        return
    server = MonitoringServer(application)
    port = server.start(settings.metrics_listen, settings.metrics_port)
    application.bot_data[MONITORING_KEY] = server
    log.info("metrics and health on http://%s:%d%s and %s", settings.metrics_listen, port, METRICS_PATH, HEALTH_PATH)


async def stop_monitoring(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_shutdown: the server goes with the Application."""
    server = application.bot_data.pop(MONITORING_KEY, None)
    if server is not None:
        await server.stop()


def serve_on_webhook(application: Application[Any, Any, Any, Any, Any, Any], updater: Updater) -> bool:
    """Add /metrics and /healthz to the running webhook server (NEWSBOT_METRICS_ON_WEBHOOK). PTB has no
    public way to add routes to it, so this reaches its tornado Application; if a PTB release moves
    it, the bot says so and runs without them there (the own port still works)."""
    server = getattr(getattr(updater, "_httpd", None), "_http_server", None)
    app = getattr(server, "request_callback", None)
    if not isinstance(app, tornado.web.Application):
        log.warning("NEWSBOT_METRICS_ON_WEBHOOK: this PTB version's webhook server cannot take more paths; "
                    "use NEWSBOT_METRICS_PORT")
        return False
    app.add_handlers(r".*", routes(application))
    return True
