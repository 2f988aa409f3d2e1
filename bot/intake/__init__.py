"""News intake, before storage: fetching (bounded, SSRF-guarded), page extraction, feed parsing and
polling, and article files. Nothing here knows Telegram."""
