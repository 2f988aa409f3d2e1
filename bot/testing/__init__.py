"""Test doubles for the Telegram side, kept apart from the production code: a fake Bot API transport
that checks messages the way Telegram does, and a harness that drives the real Application through it.
The console (`newsbot chat`) uses them too: it is the real bot with only the transport replaced."""
