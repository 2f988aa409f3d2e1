"""The bot's core, between storage and Telegram: the NewsService every handler and job calls, its
result types, the one index builder, and how a question is taken (length cut, refusals)."""
