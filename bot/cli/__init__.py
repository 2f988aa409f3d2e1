"""Entry points: the `newsbot` command (main), its subcommands (answers, stored), the Telegram runner
(polling or webhook) and the console (`newsbot chat`)."""
