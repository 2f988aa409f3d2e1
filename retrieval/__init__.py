"""Pure Arabic retrieval: articles in, cited sentences out. No Telegram, no database, no bot/."""
