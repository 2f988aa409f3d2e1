"""The typed context every handler and job receives (PTB's contexttypesbot pattern).

`context.service` is the NewsService, typed, instead of a lookup in `bot_data` repeated at each use.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.core.service import NewsService
from bot.metrics import Metrics

SERVICE_KEY = "service"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    @property
    def service(self) -> NewsService:
        return self.application.bot_data[SERVICE_KEY]

    @property
    def metrics(self) -> Metrics:
        """This bot's metrics (one registry per Application, through its service)."""
        return self.service.metrics


CONTEXT_TYPES = ContextTypes(context=BotContext)


def attach_service(application: Application[Any, Any, Any, Any, Any, Any], service: NewsService) -> None:
    application.bot_data[SERVICE_KEY] = service
